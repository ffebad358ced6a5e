"""Form versions in the app database: import, list, show, immutability of a version."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxpm.errors import CxpmError
from cxpm.qa.form_store import get_form, import_form, list_forms
from cxpm.workspace import Workspace

from .conftest import FORM_ID, audit_rows, write_form


def test_import_list_show_and_versions(workspace: Workspace, tmp_path: Path) -> None:
    first = import_form(workspace, write_form(tmp_path, version=1), actor="ann")
    assert first.status == "imported"
    assert (first.form.form_id, first.form.version, first.form.title) == (FORM_ID, 1, "Service")
    # one section; items cc, bc, comp, nc, tone, res
    assert (first.form.sections, first.form.items) == (1, 6)
    assert first.form.imported_by == "ann"

    # Same content again (another file, same meaning): nothing new.
    again = import_form(workspace, write_form(tmp_path, version=1), actor="bob")
    assert again.status == "unchanged"
    assert again.form.imported_by == "ann"

    # Changed content under the same version: refused, naming the form and version.
    with pytest.raises(CxpmError, match=rf"form {FORM_ID} version 1 is already imported "
                                        r"with different content"):
        import_form(workspace, write_form(tmp_path, version=1, nc_weight=5), actor="ann")

    second = import_form(workspace, write_form(tmp_path, version=2, nc_weight=5), actor="ann")
    assert second.status == "imported"
    assert [(f.form_id, f.version) for f in list_forms(workspace)] == [(FORM_ID, 1),
                                                                         (FORM_ID, 2)]

    latest, info = get_form(workspace, FORM_ID)
    assert (latest.version, info.version) == (2, 2)
    assert latest.item("nc").weight == 5
    old, info = get_form(workspace, f"{FORM_ID}@1")
    assert (old.version, old.item("nc").weight) == (1, 2)
    assert get_form(workspace, FORM_ID, version=1)[0].item("nc").weight == 2

    # Only imports are audited, not the "unchanged" re-import nor the refused one.
    audits = audit_rows(workspace, "qa_form")
    assert [(a.action, a.entity_id) for a in audits] == [("import", f"{FORM_ID}@1"),
                                                          ("import", f"{FORM_ID}@2")]


def test_unknown_form_and_version(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(CxpmError, match="no form 'nope' is imported"):
        get_form(workspace, "nope")
    import_form(workspace, write_form(tmp_path, version=1), actor="ann")
    with pytest.raises(CxpmError, match=rf"form '{FORM_ID}' has no version 7; imported "
                                        r"versions: 1"):
        get_form(workspace, f"{FORM_ID}@7")
    with pytest.raises(CxpmError, match="must be a number"):
        get_form(workspace, f"{FORM_ID}@x")


def test_bad_form_file_is_one_line_error(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('id = "x"\nversion = 1\n', encoding="utf-8")
    with pytest.raises(CxpmError) as excinfo:
        import_form(workspace, path, actor="ann")
    assert "bad.toml" in str(excinfo.value)
    assert list_forms(workspace) == []
