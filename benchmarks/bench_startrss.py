"""Resident memory of ``lab run`` before the first customer exists, and the CLI's start-up.

Each measurement is a fresh interpreter (a child process), trees interleaved
(A B A B ...), medians over the repeats::

    python benchmarks/bench_startrss.py --trees /tmp/startrss_before . --repeats 5

Measured per tree:

* ``stages``: ``VmRSS`` (and its anonymous / file-backed parts, ``RssAnon`` /
  ``RssFile``) after ``import lab``, after ``lab.load_scenario`` (the schema brings
  every strategy, hence mesa, numba, pandas, pyarrow, SciPy), after ``PoolModel(...)``
  and after a 30-day ``lab.run``; ``ru_maxrss`` at the end.
* ``run``: the peak resident set (``ru_maxrss`` of the child, from ``os.wait4``) of
  ``python -m lab run scenarios/baseline.yaml --days 30 --out NEW --quiet --no-csv``.
* ``help``: wall time of ``python -m lab --help``.

``--attribution`` prints, for one fresh child, the resident memory each package added
while ``lab.load_scenario`` and ``PoolModel`` imported it (exclusive of the packages it
imported in turn; an import hook reads ``/proc/self/statm`` around each module's
execution; the first kernel call's numba start-up is not in it).

``--pages`` adds a diagnosis (not a change of the lab): in a 30-day run, after day 1
(all kernels loaded), the clean file-backed mappings of shared libraries are dropped
from the page tables (``madvise(MADV_DONTNEED)`` on read-only mappings holding no
anonymous page: they are re-read from the page cache when touched) and the RSS is
read again at the end.  It shows how much of the resident set is library text mapped
at start-up and not touched again during the run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_STATUS = """
def status():
    out = {}
    for line in open("/proc/self/status"):
        key = line.split(":")[0]
        if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
            out[key] = int(line.split()[1]) / 1024
    return out
"""

_STAGES = (
    _STATUS
    + """
import json, resource, sys
res = {"python": status()}
import lab
res["import lab"] = status()
sc = lab.load_scenario("scenarios/baseline.yaml")
res["load_scenario"] = status()
from lab.model import PoolModel
PoolModel(sc, seed=1)
res["PoolModel"] = status()
lab.run(sc, seed=1, days=30)
res["run 30 days"] = status()
res["ru_maxrss"] = {"VmRSS": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
res["modules"] = {"VmRSS": len(sys.modules)}
print(json.dumps(res))
"""
)

_PAGES = (
    _STATUS
    + """
import ctypes, json, resource
libc = ctypes.CDLL(None, use_errno=True)
libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
MADV_DONTNEED = 4

def clean_library_mappings():
    found, cur = [], None
    for line in open("/proc/self/smaps"):
        p = line.split()
        if "-" in p[0] and ":" not in p[0]:
            ok = len(p) >= 6 and p[5].startswith("/") and ".so" in p[5] and "w" not in p[1]
            cur = p[0] if ok else None
        elif cur is not None and p[0] == "Anonymous:" and p[1] == "0":
            found.append(cur)
    return found

import lab
sc = lab.load_scenario("scenarios/baseline.yaml")
res = {}
def progress(day):
    if day == 1:
        res["day 1"] = status()
        for rng in clean_library_mappings():
            a, b = (int(x, 16) for x in rng.split("-"))
            libc.madvise(a, b - a, MADV_DONTNEED)
        res["day 1, library pages dropped"] = status()
lab.run(sc, seed=1, days=30, progress=progress)
res["run 30 days"] = status()
res["ru_maxrss"] = {"VmRSS": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
print(json.dumps(res))
"""
)


_ATTRIBUTION = """
import collections, importlib.abc, sys

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

own = collections.Counter()
stack = []

class _Timed:
    def __init__(self, loader, name):
        self._loader, self._name = loader, name
    def __getattr__(self, attr):
        return getattr(self._loader, attr)
    def create_module(self, spec):
        stack.append([self._name, rss(), 0.0])
        return self._loader.create_module(spec)
    def exec_module(self, module):
        try:
            self._loader.exec_module(module)
        finally:
            name, start, children = stack.pop()
            total = rss() - start
            own[name] += total - children
            if stack:
                stack[-1][2] += total

class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Timed(spec.loader, name)
                return spec
        return None

sys.meta_path.insert(0, _Finder())
import lab
sc = lab.load_scenario("scenarios/baseline.yaml")
from lab.model import PoolModel
PoolModel(sc, seed=1)
by_package = collections.Counter()
for name, mb in own.items():
    parts = name.split(".")
    by_package[".".join(parts[:2]) if parts[0] == "lab" else parts[0]] += mb
lab_total = sum(v for k, v in by_package.items() if k.startswith("lab"))
for name, mb in by_package.most_common(16):
    print(f"  {name:24s} {mb:6.1f} MB")
print(f"  {'all lab modules':24s} {lab_total:6.1f} MB")
print(f"  {'VmRSS now':24s} {rss():6.1f} MB")
"""


def _child(tree: Path, args: list[str]) -> tuple[str, float, float]:
    """Run ``python ARGS`` in TREE; return (stdout, wall seconds, peak RSS MB)."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *args], cwd=tree, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{args} in {tree} failed ({proc.returncode})")
    return stdout, wall, usage.ru_maxrss / 1024


def _run_peak(tree: Path) -> float:
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "out"  # a new folder: `lab run` refuses to overwrite
        args = ["-m", "lab", "run", "scenarios/baseline.yaml", "--days", "30"]
        _, _, peak = _child(tree, [*args, "--out", str(out), "--quiet", "--no-csv"])
    return peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trees", nargs="+", type=Path, default=[Path(".")])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--pages", action="store_true", help="also the library-pages diagnosis")
    ap.add_argument("--attribution", action="store_true", help="RSS per imported package")
    ap.add_argument("--json", type=Path, help="write the raw numbers here")
    a = ap.parse_args()
    trees = [t.resolve() for t in a.trees]
    if a.attribution:
        for t in trees:
            print(f"== {t}: resident MB each package added (exclusive)")
            print(_child(t, ["-c", _ATTRIBUTION])[0], end="")
        return
    raw: dict[str, dict[str, list]] = {str(t): {} for t in trees}
    for t in trees:  # warm-up: numba's cache of each tree filled before timing
        _run_peak(t)
    for _ in range(a.repeats):
        for t in trees:
            r = raw[str(t)]
            stages = json.loads(_child(t, ["-c", _STAGES])[0].strip().splitlines()[-1])
            r.setdefault("stages", []).append(stages)
            r.setdefault("run_peak_mb", []).append(_run_peak(t))
            r.setdefault("help_s", []).append(_child(t, ["-m", "lab", "--help"])[1])
            if a.pages:
                pages = json.loads(_child(t, ["-c", _PAGES])[0].strip().splitlines()[-1])
                r.setdefault("pages", []).append(pages)
    for t in trees:
        r = raw[str(t)]
        print(f"== {t}")
        for key in ("stages", "pages"):
            if key not in r:
                continue
            for point in r[key][0]:
                cols = []
                for field in ("VmRSS", "RssAnon", "RssFile"):
                    vals = [s[point][field] for s in r[key] if field in s[point]]
                    if vals:
                        cols.append(f"{field} {statistics.median(vals):7.1f}")
                print(f"  {key:6s} {point:30s} " + "  ".join(cols))
        print(f"  lab run 30 days peak MB: median {statistics.median(r['run_peak_mb']):.1f}"
              f"  all {[round(x, 1) for x in r['run_peak_mb']]}")  # fmt: skip
        print(f"  lab --help s: median {statistics.median(r['help_s']):.3f}"
              f"  all {[round(x, 3) for x in r['help_s']]}")  # fmt: skip
    if a.json:
        a.json.write_text(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
