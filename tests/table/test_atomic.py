"""Atomic writes under kill -9 and SIGTERM: stale temporary files of our own naming are
cleaned on the next write, and SIGTERM removes them at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tabgan.table.atomic import STALE_AFTER_S, atomic_path, atomic_write_text, remove_stale

ROOT = Path(__file__).resolve().parents[2]
# Writes a temporary file for the target, prints its path, and waits to be killed.
WRITER = """
import sys, time
from tabgan.table.atomic import atomic_path
with atomic_path(sys.argv[1]) as tmp:
    tmp.write_bytes(b"x" * 100_000)
    print(tmp, flush=True)
    time.sleep(120)
"""

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and locks")


def _writer(target: Path) -> tuple[subprocess.Popen, Path]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE,
                            text=True, env=env)
    line = proc.stdout.readline().strip()
    assert line, "the writer did not start"
    return proc, Path(line)


def _age(path: Path, seconds: float) -> None:
    """Make ``path`` look untouched for ``seconds``."""
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_killed_writers_temporary_file_is_cleaned_on_the_next_write(tmp_path):
    target = tmp_path / "big.csv"
    target.write_text("old")
    proc, tmp = _writer(target)
    assert tmp.exists() and tmp.name.startswith(".big.csv.") and tmp.name.endswith(".tmp")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert tmp.exists()  # what kill -9 leaves
    atomic_write_text(target, "new")
    assert tmp.exists()  # just killed: too fresh to be sure, kept
    _age(tmp, STALE_AFTER_S + 1)
    atomic_write_text(target, "newer")
    assert not tmp.exists()
    assert target.read_text() == "newer"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv"]


def test_only_stale_files_of_our_own_naming_for_this_target_are_removed(tmp_path):
    target = tmp_path / "out.csv"
    proc, live = _writer(target)  # a live writer holds its lock
    try:
        _age(live, 7200)
        foreign = [tmp_path / ".out.csv.notours.tmp", tmp_path / "out.csv.tmp",
                   tmp_path / ".other.csv.12345-abcdefgh.tmp"]
        old_style = tmp_path / ".out.csv.abcd1234.tmp"  # an older tabgan's name, no pid
        young_old_style = tmp_path / ".out.csv.zzzz9999.tmp"
        for path in [*foreign, old_style, young_old_style]:
            path.write_text("x")
            _age(path, 7200)
        _age(young_old_style, 60)
        removed = remove_stale(target)
        assert removed == [old_style]
        assert live.exists() and young_old_style.exists()
        assert all(p.exists() for p in foreign)
    finally:
        proc.kill()
        proc.wait()


def test_sigterm_removes_the_temporary_file_and_keeps_the_target(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    proc, tmp = _writer(target)
    assert tmp.exists()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == -signal.SIGTERM  # it still dies of the signal
    assert not tmp.exists()
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_the_sigterm_handler_is_ours_only_while_a_write_is_open(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    if before is not signal.SIG_DFL:
        pytest.skip("another SIGTERM handler is installed; ours then stays out of its way")
    with atomic_path(tmp_path / "a.txt") as tmp:
        tmp.write_text("x")
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before
