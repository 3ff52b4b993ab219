"""Deterministic, crash-safe writing: JSON dumping, atomic files, atomic folder swaps, a lock.

Every command that writes goes through these helpers, so no reader ever sees a half-written
file or folder, and a killed run leaves only temporary names that the next run cleans up.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import glob
import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import InputError, Problem
from .paths import shown

TMP_MARK = ".tmp-"
OLD_MARK = ".old-"


def dumps_jsonl(records: list[dict]) -> str:
    """JSON Lines: one object per line, keys in the order given, non-ASCII kept as is."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def dumps_json(obj) -> str:
    """Pretty JSON with sorted keys, so the same data always gives the same bytes."""
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def default_mode(directory: bool = False) -> int:
    return (0o777 if directory else 0o666) & ~_umask()


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write a file through a temporary sibling and a rename, so it is never half-written.

    An existing file keeps its permission bits; a new one gets the umask's."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{shown(path)}: is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        clean_temp_files(path)
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else default_mode()
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TMP_MARK}", dir=path.parent)
    except OSError as exc:
        raise InputError(f"{shown(path)}: cannot write ({exc.strerror or exc})") from None
    try:
        if isinstance(content, str):
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(content)
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise InputError(f"{shown(path)}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


STALE_TEMP_S = 60.0
"""A temporary file this old belongs to a write that was killed: no live write takes so long."""


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary sibling path for a library that writes files itself; renamed to `path` on success."""
    path = Path(path)
    check_output_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_temp_files(path)
    tmp = path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def clean_temp_files(path: Path) -> None:
    """Remove the temporary siblings (`.NAME.tmp-*`) that killed writes of `path` left behind."""
    path = Path(path)
    now = time.time()
    for leftover in path.parent.glob(f".{glob.escape(path.name)}{TMP_MARK}*"):
        with contextlib.suppress(OSError):
            if leftover.is_file() and now - leftover.stat().st_mtime > STALE_TEMP_S:
                leftover.unlink()


@contextlib.contextmanager
def locked(target: Path) -> Iterator[None]:
    """Hold an exclusive lock for writing `target`; concurrent writers wait for one another.

    The lock file (`.NAME.lock` beside the target) is removed on release; a waiter that locked a
    file removed meanwhile notices (its inode is gone from the path) and locks the new one."""
    target = Path(target)
    lock = target.parent / f".{target.name}.lock"
    while True:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise InputError(f"{shown(lock)}: cannot create the lock file ({exc.strerror or exc})") from None
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            current = os.stat(lock)
        except FileNotFoundError:
            current = None
        if current is not None and current.st_ino == os.fstat(fd).st_ino:
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2); False where the system cannot."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    if ctypes.get_errno() in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(b))


def recover_folder(target: Path) -> None:
    """Undo what a killed swap left: restore a set-aside target, drop temporary folders.

    Call it while holding `locked(target)`, so no live swap's folders are touched."""
    target = Path(target)
    olds = sorted(target.parent.glob(f"{target.name}{OLD_MARK}*"))
    if olds and not target.exists():
        os.replace(olds[-1], target)
    for leftover in [*target.parent.glob(f"{target.name}{TMP_MARK}*"),
                     *target.parent.glob(f"{target.name}{OLD_MARK}*")]:
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                leftover.unlink()


def new_temp_folder(target: Path) -> Path:
    """An empty folder beside `target`, to be filled and then swapped in."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{target.name}{TMP_MARK}", dir=target.parent))
    except OSError as exc:
        raise InputError(f"{shown(target.parent)}: cannot write ({exc.strerror or exc})") from None
    mode = stat.S_IMODE(target.stat().st_mode) if target.is_dir() else default_mode(directory=True)
    os.chmod(tmp, mode)
    return tmp


def swap_folder(tmp: Path, target: Path) -> None:
    """Put the finished folder `tmp` in place of `target`, which exists whole at every instant.

    With an atomic exchange the old folder moves to `tmp` and is then removed; where the system
    lacks one, the old folder is set aside first and `recover_folder` restores it after a kill."""
    tmp, target = Path(tmp), Path(target)
    if target.exists() and not target.is_dir():
        raise InputError(f"{shown(target)}: exists and is not a folder; move it away first")
    if not target.exists():
        os.replace(tmp, target)
        return
    if _exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = target.with_name(f"{target.name}{OLD_MARK}{os.getpid()}")
    os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def write_folder(target: Path, fill, *, replace: bool) -> object:
    """Build a folder with `fill(tmp)` and put it at `target`; return what `fill` returned.

    `replace=True` swaps the whole folder (for folders the project owns, like data/). Otherwise
    `target` must be missing or empty, unless the caller already allowed overwriting, in which
    case only the files `fill` wrote are moved in and nothing else in `target` is touched."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise InputError(f"{shown(target)}: exists and is not a folder")
    with locked(target):
        recover_folder(target)
        tmp = new_temp_folder(target)
        try:
            result = fill(tmp)
            if replace or not target.exists() or not any(target.iterdir()):
                swap_folder(tmp, target)
            else:
                for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
                    dest = target / path.relative_to(tmp)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(path, dest)
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            source = Path(exc.filename) if exc.filename else None
            if source is not None and tmp not in source.parents and source != tmp:
                raise InputError(f"{shown(source)}: cannot read ({exc.strerror or exc}); nothing written to "
                                 f"{shown(target)}") from None
            raise InputError(f"{shown(target)}: cannot write ({exc.strerror or exc})") from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return result


def check_output_folder(target: Path, force: bool, inputs: tuple[Path, ...] = ()) -> None:
    """Refuse an output folder that holds anything (unless `force`) or that is one of the inputs."""
    target = Path(target)
    for source in inputs:
        try:
            same = target.resolve() == Path(source).resolve()
            inside = Path(source).resolve() in target.resolve().parents
        except (OSError, RuntimeError):
            same = inside = False
        if same or inside:
            raise InputError(f"{shown(target)}: is an input of this command ({shown(source)}); choose another folder")
    if target.exists() and not target.is_dir():
        raise InputError(f"{shown(target)}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise InputError(f"{shown(target)}: exists and is not empty; choose a new folder or pass --force "
                         "(then only the files this command writes are replaced)")


def check_output_file(path: Path, inputs: tuple[Path, ...] = ()) -> None:
    """Refuse an output file that is a folder, lies under a file, or is one of the inputs."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{shown(path)}: is a folder; give a file name")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{shown(path)}: {shown(parent)} is a file, not a folder")
            break
    for source in inputs:
        try:
            if path.resolve() == Path(source).resolve():
                raise InputError(f"{shown(path)}: is also an input of this command; write elsewhere")
        except (OSError, RuntimeError):
            continue


def read_text(path: Path, what: str = "file") -> str:
    """A UTF-8 text file's content, or a one-line InputError naming the file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise InputError(f"{shown(path)}: is a folder, expected a {what}") from None
    except OSError as exc:
        raise InputError(f"{shown(path)}: cannot read {what} ({exc.strerror or exc})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{shown(path)}:{line}: not valid UTF-8 (byte offset {exc.start})") from None


def parse_json(text: str, where: str):
    """json.loads with every failure (syntax, nesting too deep, huge numbers) as an InputError."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise InputError(f"{where}: JSON nested too deeply") from None
    except ValueError as exc:
        raise InputError(f"{where}: invalid JSON ({str(exc).splitlines()[0][:120]})") from None


def read_jsonl(path: Path, what: str = "JSON Lines file") -> list[dict]:
    """Every object of a JSON Lines file; the first bad line is an InputError naming file and line."""
    objects, problems = _objects(Path(path), read_text(path, what))
    if problems:
        raise InputError(str(problems[0]))
    return [obj for _, obj in objects]


def jsonl_objects(path: Path) -> tuple[list[tuple[int, dict]], list[Problem]]:
    """(line number, object) for every line of a JSON Lines file, and a Problem for each line that
    is not a JSON object (or for the file, when it cannot be read): collect, never stop at the first."""
    path = Path(path)
    try:
        text = read_text(path)
    except InputError as exc:
        return [], [Problem(path, 0, str(exc).split(": ", 1)[-1])]
    return _objects(path, text)


def _objects(path: Path, text: str) -> tuple[list[tuple[int, dict]], list[Problem]]:
    rows, problems = [], []
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = parse_json(line, "")
        except InputError as exc:
            problems.append(Problem(path, n, str(exc).lstrip(": ")))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(path, n, "expected a JSON object"))
            continue
        rows.append((n, obj))
    return rows, problems
