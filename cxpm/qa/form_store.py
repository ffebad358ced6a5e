"""Form versions in the app database. A version, once imported, never changes: importing the
same id and version again is accepted only when the content is identical."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxpm.errors import CxpmError
from cxpm.qa.forms import Form, load_form, parse_form
from cxpm.store.db import record_audit, utc_now
from cxpm.store.models import QaForm
from cxpm.workspace import Workspace


class FormVersionInfo(BaseModel):
    form_id: str
    version: int
    title: str
    sections: int
    items: int
    imported_at: datetime
    imported_by: str
    content_hash: str


class FormImport(BaseModel):
    form: FormVersionInfo
    status: str  # "imported" or "unchanged"



def _info(row: QaForm) -> FormVersionInfo:
    form = _form_of(row)
    return FormVersionInfo(
        form_id=row.form_id, version=row.version, title=row.title,
        sections=len(form.sections), items=sum(len(s.items) for s in form.sections),
        imported_at=row.imported_at, imported_by=row.imported_by,
        content_hash=row.content_hash)


def _form_of(row: QaForm) -> Form:
    return parse_form(row.definition, f"form {row.form_id} version {row.version}")


def save_form(workspace: Workspace, form: Form, *, actor: str) -> FormImport:
    """Store a form version (audited). Same id and version with other content is refused:
    evaluations already scored with it must keep meaning what they meant."""
    digest = form.content_hash()
    with Session(workspace.app_db) as session:
        existing = session.scalars(select(QaForm).where(
            QaForm.form_id == form.id, QaForm.version == form.version)).one_or_none()
        if existing is not None:
            if existing.content_hash == digest:
                return FormImport(form=_info(existing), status="unchanged")
            raise CxpmError(
                f"form {form.id} version {form.version} is already imported with different "
                f"content; give the changed form a new version number")
        row = QaForm(form_id=form.id, version=form.version, title=form.title,
                     content_hash=digest, definition=form.definition(), imported_at=utc_now(),
                     imported_by=actor)
        session.add(row)
        session.flush()
        record_audit(session, actor=actor, action="import", entity="qa_form",
                     entity_id=f"{form.id}@{form.version}", before=None,
                     after={"title": form.title, "content_hash": digest})
        info = _info(row)
        session.commit()
    return FormImport(form=info, status="imported")


def import_form(workspace: Workspace, path: Path, *, actor: str) -> FormImport:
    """Read a form file (TOML, see docs/qa-forms.md) and store it as a new version."""
    return save_form(workspace, load_form(path), actor=actor)


def list_forms(workspace: Workspace) -> list[FormVersionInfo]:
    """Every imported form version, by form id then version."""
    with Session(workspace.app_db) as session:
        rows = session.scalars(select(QaForm).order_by(QaForm.form_id, QaForm.version))
        return [_info(row) for row in rows]


def _parse_ref(ref: str) -> tuple[str, int | None]:
    """`voice` (latest version) or `voice@3`."""
    form_id, _, version = ref.partition("@")
    if not version:
        return form_id, None
    try:
        return form_id, int(version)
    except ValueError:
        raise CxpmError(f"form {ref!r}: the version after @ must be a number") from None


def get_form(workspace: Workspace, ref: str, version: int | None = None) -> tuple[Form,
                                                                                FormVersionInfo]:
    """A stored form version: `ref` is a form id (latest version unless `version`) or
    `id@version`."""
    form_id, ref_version = _parse_ref(ref)
    version = version if version is not None else ref_version
    with Session(workspace.app_db) as session:
        row = find_form_row(session, form_id, version)
        return _form_of(row), _info(row)


def find_form_row(session: Session, form_id: str, version: int | None) -> QaForm:
    query = select(QaForm).where(QaForm.form_id == form_id)
    if version is None:
        latest = session.scalar(select(func.max(QaForm.version)).where(
            QaForm.form_id == form_id))
        query = query.where(QaForm.version == latest)
    else:
        query = query.where(QaForm.version == version)
    row = session.scalars(query).one_or_none()
    if row is not None:
        return row
    known = session.scalars(select(QaForm.version).where(QaForm.form_id == form_id)).all()
    if not known:
        raise CxpmError(f"no form {form_id!r} is imported; see `cxpm qa forms list`")
    raise CxpmError(f"form {form_id!r} has no version {version}; imported versions: "
                    f"{', '.join(str(v) for v in sorted(known))}")


class FormCache:
    """Form versions parsed once per session of work (evaluations of one import share them)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._forms: dict[tuple[str, int | None], tuple[Form, int]] = {}

    def get(self, form_id: str, version: int | None) -> tuple[Form, int]:
        """The form and its version number (the latest when `version` is None)."""
        key = (form_id, version)
        if key not in self._forms:
            row = find_form_row(self.session, form_id, version)
            self._forms[key] = (_form_of(row), row.version)
        return self._forms[key]
