from __future__ import annotations

import os
from pathlib import Path

import pytest

from cxpm.errors import CxpmError
from cxpm.files import atomic_output, check_writable


def test_output_replaces_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    os.chmod(target, 0o640)
    with pytest.raises(RuntimeError), atomic_output(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("writer failed")
    assert target.read_text() == "old"
    with atomic_output(target) as temporary:
        temporary.write_text("new")
    assert target.read_text() == "new"
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_unwritable_targets_fail_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(CxpmError, match=r"folder .* does not exist"):
        check_writable(tmp_path / "missing" / "x.csv")
    with pytest.raises(CxpmError, match="it is a folder"):
        check_writable(tmp_path)
