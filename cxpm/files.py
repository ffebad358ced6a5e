"""Files users name: outputs checked up front and replaced only when complete; inputs read
with one-line errors."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cxpm.errors import CxpmError


def check_writable(path: Path) -> Path:
    """The folder `path` will be written in. Call it before any work, so a typo in an
    output path fails fast and leaves nothing half done."""
    folder = path.expanduser().resolve().parent
    if not folder.is_dir():
        raise CxpmError(f"cannot write {path}: folder {folder} does not exist")
    if path.is_dir():
        raise CxpmError(f"cannot write {path}: it is a folder")
    return folder


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; it replaces `path` only when the block ends
    without error, so a failed write never leaves a partial file. OS errors become one-line
    errors."""
    folder = check_writable(path)
    try:
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise CxpmError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        # mkstemp makes the file private (0600); give it the mode a plain open would.
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except OSError as exc:
        raise CxpmError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        temporary.unlink(missing_ok=True)


def _mode_for(path: Path) -> int:
    """The existing file's permissions, or those a new file gets under the process umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def read_user_text(path: Path) -> str:
    """The text of a file a user named (UTF-8, a byte-order mark allowed), with one-line
    errors for the usual mistakes: no such file, a folder, another encoding."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CxpmError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise CxpmError(f"{path}: is a folder, not a file") from None
    except UnicodeDecodeError:
        raise CxpmError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise CxpmError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
