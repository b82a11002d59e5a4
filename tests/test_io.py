"""lab.io's temporary folders: removed on SIGTERM/SIGHUP, and a killed writer's left
folder removed by the next write only when its marker names a dead lab process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lab.io import PARTIAL_MARKER, Terminated, atomic_folder, remove_dead_partials

ROOT = Path(__file__).resolve().parents[1]

_WRITER = """
import sys, time
from lab.io import atomic_folder
with atomic_folder(sys.argv[1]) as tmp:
    (tmp / "half.csv").write_text("a,b\\n1,")
    print("ready", flush=True)
    time.sleep(60)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_terminated_writer_leaves_no_temporary_folder(tmp_path, sig):
    (tmp_path / "mine.txt").write_text("keep", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(tmp_path / "out")],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        assert [p for p in tmp_path.iterdir() if ".partial-" in p.name]  # mid-write
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == 128 + sig  # Terminated: exit 128 + signal
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_the_signal_handlers_are_the_callers_again_after_the_block(tmp_path):
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)
    with atomic_folder(tmp_path / "a"):
        assert signal.getsignal(signal.SIGTERM) not in before
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)) == before
    with pytest.raises(Terminated), atomic_folder(tmp_path / "b"):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):  # the handler runs between bytecodes
            pass
    assert not (tmp_path / "b").exists()
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)) == before
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_the_marker_is_not_in_the_written_folder(tmp_path):
    with atomic_folder(tmp_path / "out") as tmp:
        assert (tmp / PARTIAL_MARKER).read_text().split() == [
            socket.gethostname(),
            str(os.getpid()),
        ]
        (tmp / "a.csv").write_text("x\n", encoding="utf-8")
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "manifest.json"]
    assert json.loads((out / "manifest.json").read_text())["lab_files"] == ["a.csv"]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _left_folder(parent: Path, name: str, marker: str | None) -> Path:
    folder = parent / name
    (folder / "sub").mkdir(parents=True)
    (folder / "transactions.csv").write_text("order_id\n1\n", encoding="utf-8")
    (folder / "sub" / "x.csv").write_text("1\n", encoding="utf-8")
    if marker is not None:
        (folder / PARTIAL_MARKER).write_text(marker, encoding="ascii")
    return folder


def test_a_dead_writers_folder_is_removed_and_nothing_else(tmp_path):
    host, dead = socket.gethostname(), _dead_pid()
    gone = _left_folder(tmp_path, ".out.partial-dead", f"{host} {dead}\n")
    kept = [
        _left_folder(tmp_path, ".out.partial-alive", f"{host} {os.getpid()}\n"),
        _left_folder(tmp_path, ".out.partial-nomarker", None),
        _left_folder(tmp_path, ".out.partial-otherhost", f"not-{host} {dead}\n"),
        _left_folder(tmp_path, ".out.partial-garbled", "who knows"),
        _left_folder(tmp_path, ".other.partial-dead", f"{host} {dead}\n"),
    ]
    linked = _left_folder(tmp_path, ".out.partial-link", f"{host} {dead}\n")
    (tmp_path / "mine.txt").write_text("keep", encoding="utf-8")
    (linked / "to-mine").symlink_to(tmp_path / "mine.txt")
    kept.append(linked)
    with atomic_folder(tmp_path / "out") as tmp:
        (tmp / "a.csv").write_text("x\n", encoding="utf-8")
    assert not gone.exists()
    assert all((k / "transactions.csv").exists() and (k / "sub" / "x.csv").exists() for k in kept)
    assert (tmp_path / "mine.txt").read_text() == "keep"
    assert remove_dead_partials(tmp_path / "out") == []  # the rest stays, call after call
