"""Writing a big file into the page cache, plainly and through a window of recycled pages.

Writes ``MB`` megabytes of CSV-like text in 1 MB writes to a new file in FOLDER, then
fsyncs it, in turns: plainly (every page of the file a new page of the cache) and through
:class:`lab.page_cache.PageRecycler` (32 MB windows written back and dropped one window
behind, so the writes reuse the dropped pages).  Wall seconds (the fsync included) and
the process's system CPU seconds, one line per write; the files are removed::

    PYTHONPATH=. python benchmarks/page_cache_write.py /tmp/somewhere --mb 1700 --rounds 2
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path


def write(path: Path, mb: int, recycle: bool) -> tuple[float, float]:
    from lab.page_cache import PageRecycler

    line = b"1234567,89.5,2026-01-01\n"
    buf = line * (2**20 // len(line))
    t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        pages = PageRecycler(fd) if recycle else None
        length = 0
        for _ in range(mb):
            length += os.write(fd, buf)
            if pages is not None:
                pages.advance(length)
        os.fsync(fd)
    finally:
        os.close(fd)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter() - t0, r1.ru_stime - r0.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--mb", type=int, default=1700)
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    for r in range(a.rounds):
        for recycle in (False, True):
            path = a.folder / f"page_cache_write_{os.getpid()}_{r}_{int(recycle)}.bin"
            try:
                wall, sys_s = write(path, a.mb, recycle)
            finally:
                path.unlink(missing_ok=True)
            print(
                f"round {r} {'window' if recycle else 'plain '}: {wall:6.2f} s wall "
                f"(fsync included), {sys_s:5.2f} s system CPU, load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            time.sleep(3)


if __name__ == "__main__":
    main()
