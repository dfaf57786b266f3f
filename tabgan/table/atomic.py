"""Atomic writes: a temporary file beside the target, renamed onto it only when complete.

A temporary file is named ``.NAME.PID-XXXXXXXX.tmp`` (NAME the target's name, PID the
writing process) and its writer holds an exclusive ``flock`` on it while it lives. What a
killed writer leaves is cleaned on the next write to the same target (see
:func:`remove_stale`), and a writer that receives SIGTERM removes its temporary files
before it dies. A failure to write (a full disk, a read-only folder) is an
:class:`~tabgan.errors.OutputError` that names the fix; the target is never touched.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from tabgan.errors import OutputError, TabGANError

__all__ = ["STALE_AFTER_S", "ORPHAN_AFTER_S", "atomic_path", "atomic_write_text",
           "remove_stale"]

# An unlocked temporary file of a process that is gone is stale once untouched this long
# (a writer takes its lock right after creating the file: this covers that instant, also
# for a writer on another machine that shares the folder).
STALE_AFTER_S = 10.0
# An unlocked temporary file untouched this long is stale whatever its name says: a name
# of an older tabgan (no process id), a reused process id, a writer on another machine.
ORPHAN_AFTER_S = 3600.0

try:
    import fcntl
except ImportError:  # not POSIX: no locks, stale files are told by process and age alone
    fcntl = None

_LIVE: set[Path] = set()  # this process's temporary files, removed on SIGTERM
_GUARD = threading.Lock()
_HANDLER_INSTALLED = False


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.
    The file gets the permissions a plainly created file would (0666 less the umask), not
    the owner-only ones of a temporary file. Stale temporary files of ``path`` are removed
    first; ``OSError`` while writing becomes :class:`~tabgan.errors.OutputError`."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(target)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}-", suffix=".tmp",
                                   dir=target.parent)
    except OSError as exc:
        raise output_error(target, exc) from exc
    tmp_path = Path(tmp)
    try:
        if fcntl is not None:
            with contextlib.suppress(OSError):  # no locks on this file system: none held
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _register(tmp_path)
        try:
            yield tmp_path
            os.chmod(tmp_path, 0o666 & ~_umask())
            os.replace(tmp_path, target)
        except TabGANError:
            raise
        except OSError as exc:
            raise output_error(target, exc) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        os.close(fd)
        _unregister(tmp_path)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def output_error(target: Path, exc: OSError) -> OutputError:
    """The error for an output that cannot be written, with the fix for the usual causes."""
    fixes = {
        errno.ENOSPC: "the disk is full: free some space, or write the output elsewhere",
        errno.EDQUOT: "the disk quota is used up: free some space, or write elsewhere",
        errno.EACCES: "permission denied: write it to a folder you may write to",
        errno.EPERM: "permission denied: write it to a folder you may write to",
        errno.EROFS: "the file system is read-only: write the output elsewhere",
    }
    reason = fixes.get(exc.errno, f"{exc.strerror or exc}; check the path and the disk")
    return OutputError(f"cannot write {str(target)!r}: {reason}. Nothing was written.")


# ---------------------------------------------------------------------- stale files
def _patterns(name: str) -> tuple[re.Pattern, re.Pattern]:
    escaped = re.escape(name)
    return (re.compile(rf"\.{escaped}\.(\d+)-[a-z0-9_]{{8}}\.tmp"),  # this version's
            re.compile(rf"\.{escaped}\.[a-z0-9_]{{8}}\.tmp"))  # older tabgan's (no pid)


def remove_stale(target: str | os.PathLike) -> list[Path]:
    """Remove the stale temporary files that writes to ``target`` left, and return them.

    Only names of tabgan's own pattern for this target are considered. One is stale when
    no process holds its lock and either its writer's process (the id in its name) is
    not running on this machine and it has been untouched for ``STALE_AFTER_S``, or it
    has been untouched for ``ORPHAN_AFTER_S``. Files that cannot be examined are left."""
    target = Path(target)
    ours, older = _patterns(target.name)
    removed = []
    try:
        candidates = list(target.parent.glob(f".{_glob_escape(target.name)}.*.tmp"))
    except OSError:
        return removed
    now = time.time()
    for path in candidates:
        own = ours.fullmatch(path.name)
        if own is None and older.fullmatch(path.name) is None:
            continue
        try:
            age = now - path.stat().st_mtime
        except OSError:
            continue
        gone = own is not None and not _running(int(own.group(1)))
        if not ((gone and age >= STALE_AFTER_S) or age >= ORPHAN_AFTER_S):
            continue
        if _remove_if_unlocked(path):
            removed.append(path)
    return removed


def _glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process, or we cannot tell: keep the file
    return True


def _remove_if_unlocked(path: Path) -> bool:
    try:  # read-write: where flock is emulated by fcntl (NFS), LOCK_EX needs it
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False  # a live writer holds it (or locks do not work here)
        try:
            path.unlink()
        except OSError:
            return False
        return True
    finally:
        os.close(fd)


# ---------------------------------------------------------------------- SIGTERM
def _register(path: Path) -> None:
    global _HANDLER_INSTALLED
    with _GUARD:
        _LIVE.add(path)
        if _HANDLER_INSTALLED or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return  # someone else decides what SIGTERM does; leave it to them
        signal.signal(signal.SIGTERM, _on_sigterm)
        _HANDLER_INSTALLED = True


def _unregister(path: Path) -> None:
    global _HANDLER_INSTALLED
    with _GUARD:
        _LIVE.discard(path)
        if _LIVE or not _HANDLER_INSTALLED:
            return
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers are set from the main thread; the next write resets it
        if signal.getsignal(signal.SIGTERM) is _on_sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _HANDLER_INSTALLED = False


def _on_sigterm(signum, frame) -> None:
    """Remove this process's temporary files, then die of the signal as it would have."""
    for path in list(_LIVE):
        with contextlib.suppress(OSError):
            path.unlink()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore
    os.umask(mask)
    return mask
