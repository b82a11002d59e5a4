"""Runs of an experiment, executed anywhere and streamed to a parquet dataset on disk.

An experiment folder holds ``manifest.json`` (command, base scenario hash, the
design and its key, lab version, git commit) and ``runs/``: one small parquet
file per finished run, named by its run id and written atomically (temporary
file, flushed to disk with ``fsync``, then renamed).  Hence:

* **resume**: running the same experiment again skips every id already on disk;
* **no duplicates, no losses**: a run is either one complete file or nothing (a
  half-written temporary file never has the ``<id>.parquet`` name);
* **checked resumes**: a file in ``runs/`` counts as finished only when it is a
  readable parquet file of this experiment (its design key) holding the one row of
  the run its name says.  Any other file there (truncated, empty, unreadable,
  foreign, another run's id) is reported with a :class:`RunFileWarning`, moved
  aside into ``runs/_rejected/`` (never deleted; the parquet reader skips that
  folder) and its run is run again;
* **bounded memory**: workers return one row of metrics, which is written at once;
  the client never holds the runs;
* the folder of a *different* design is refused (:class:`DesignMismatch`);
* the folder of the same design made by *other code* (another lab version or git
  commit) is refused too (:class:`CodeChanged`), unless ``allow_code_change`` is
  given: then the old runs are kept, the manifest lists every commit and version
  that wrote runs, and each run row says which one wrote it (columns
  ``lab_version`` and ``git_commit``).

Read the whole dataset with ``pandas.read_parquet(folder / "runs")``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import numpy as np
import pandas as pd

from lab.analysis.headline import HEADLINE_METRICS, headline_metrics
from lab.analysis.service import SERVICE_METRICS, service_level
from lab.experiments.design import DesignError, RunSpec, apply_overrides
from lab.io import MADE_BY, atomic_file, default_out, write_parquet

if TYPE_CHECKING:  # pragma: no cover
    from lab.results import RunResult

__all__ = [
    "EXPERIMENT_METRICS",
    "METRIC_ALIASES",
    "CodeChanged",
    "DesignMismatch",
    "RunFileWarning",
    "RunStore",
    "check_metric",
    "check_run_length",
    "code_version",
    "evaluate",
    "experiment_metrics",
]

#: metrics of every experiment run: the headline metrics plus the 12-month margin
EXPERIMENT_METRICS: dict[str, str] = {
    **HEADLINE_METRICS,
    "margin_12m": "net margin over the first 365 days (CNY; NaN for runs shorter than 365 days)",
    **SERVICE_METRICS,
}

#: short names accepted for objectives, constraints and sensitivity outputs
METRIC_ALIASES: dict[str, str] = {
    "ltv": "ltv_margin",
    "margin": "net_margin",
    "fatigue": "mean_fatigue",
}


def experiment_metrics(result: RunResult) -> dict[str, float]:
    """:data:`EXPERIMENT_METRICS` of one run: headline metrics and ``margin_12m``."""
    out = headline_metrics(result)
    daily = result.daily
    out["margin_12m"] = (
        float(daily["net_margin"].iloc[:365].sum()) if len(daily) >= 365 else float("nan")
    )
    service = service_level(result)
    out.update({k: service[k] for k in SERVICE_METRICS})
    return out


def check_metric(name: str, arg: str, days: int | None = None) -> str:
    """The metric ``name`` (or its alias) as a column name; DesignError listing valid names."""
    key = METRIC_ALIASES.get(name, name)
    if key not in EXPERIMENT_METRICS:
        valid = ", ".join(
            [*EXPERIMENT_METRICS, *(f"{a} (= {b})" for a, b in METRIC_ALIASES.items())]
        )
        raise DesignError(f"{arg}: unknown metric {name!r}; valid: {valid}")
    if key == "margin_12m" and days is not None and days < 365:
        raise DesignError(
            f"{arg}: margin_12m needs runs of at least 365 days (these run {days}); "
            "use net_margin (the margin over the run) or --days 365"
        )
    return key


def check_run_length(
    uses: Sequence[tuple[str, str]],
    days: int | None,
    scenario_days: int,
    searched: tuple[str, int] | None = None,
) -> None:
    """Every metric must be defined on the shortest run of the experiment.

    Parameters
    ----------
    uses : sequence of (arg, metric)
        The metrics (column names) and the argument that named each, for messages.
    days : int or None
        The ``--days`` override (then every run lasts that long).
    scenario_days : int
        The base scenario's days.
    searched : (str, int), optional
        When ``days`` itself is varied: how it was given (e.g. ``--params days=100:400``)
        and the shortest value it takes.

    Raises
    ------
    DesignError
        e.g. ``margin_12m`` (a year's margin) on runs shorter than 365 days.
    """
    if days is not None or searched is None:
        for arg, metric in uses:
            check_metric(metric, arg, days or scenario_days)
        return
    given, shortest = searched
    for arg, metric in uses:
        try:
            check_metric(metric, arg, shortest)
        except DesignError:
            raise DesignError(
                f"{arg}: {metric} needs runs of at least 365 days, but {given} searches runs "
                f"as short as {shortest} days; search days from 365 up, or use net_margin "
                "(the margin over the run)"
            ) from None


class DesignMismatch(DesignError):
    """The output folder holds an experiment with a different design."""


class CodeChanged(DesignError):
    """The output folder holds runs of the same design made by another lab version or commit."""


class RunFileWarning(UserWarning):
    """Files in an experiment's ``runs/`` that are not valid runs were set aside and re-run."""


#: sub-folder of ``runs/`` where files that are not valid runs are moved (``_``: the
#: parquet dataset reader skips it)
REJECTED = "_rejected"


@functools.cache
def code_version() -> tuple[str, str]:
    """``(lab version, git commit)`` of the code this process runs.

    Read once per process: the modules in memory do not change when the checkout
    does, and a resume within one process must not see a commit made meanwhile.
    A dirty checkout reads ``<commit>-dirty``.
    """
    from lab._version import __version__
    from lab.results import git_commit

    return __version__, git_commit()


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def design_key(design: dict) -> str:
    """Short hash of a design (what makes two experiments the same experiment)."""
    blob = json.dumps(design, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def open_store(
    kind: str,
    out: str | Path | None,
    name: str,
    base_hash: str,
    design: dict,
    allow_code_change: bool = False,
) -> RunStore:
    """The checked run store of an experiment: ``out``, or a folder named after it.

    The default folder is ``reports/<kind>-<scenario name>-<design key>``, so the
    same experiment run again lands in the same place and resumes.
    """
    if out is None:
        out = default_out(kind, name, design_key({"base": base_hash, **design}))
    base = {"name": name, "hash": base_hash}
    return RunStore(out, kind, design, base, allow_code_change).check()


class RunStore:
    """The experiment folder: manifest plus one parquet file per finished run.

    Parameters
    ----------
    folder : path
    kind : str
        ``sweep``, ``sensitivity`` or ``optimize``.
    design : dict
        JSON-able description of the experiment; its hash is the design key.
    base : dict
        ``{"name", "hash"}`` of the base scenario.
    allow_code_change : bool
        Resume a folder whose runs were made by another lab version or git commit
        (default: refuse with :class:`CodeChanged`).
    """

    def __init__(
        self,
        folder: str | Path,
        kind: str,
        design: dict,
        base: dict,
        allow_code_change: bool = False,
    ) -> None:
        version, commit = code_version()
        self.folder = Path(folder)
        self.runs = self.folder / "runs"
        self.key = design_key({"kind": kind, "base": base["hash"], **design})
        self.allow_code_change = allow_code_change
        self._valid: set[str] = set()  # run files already checked by scan()
        self.stamp = {
            "experiment": kind,
            "design_key": self.key,
            "base_scenario": base["name"],
            "base_scenario_hash": base["hash"],
            "lab_version": version,
            "git_commit": commit,
        }
        self.manifest = {
            "made_by": MADE_BY,  # marks the folder as the lab's (lab.io); other writers refuse it
            **self.stamp,
            "lab_versions": [version],
            "git_commits": [commit],
            "command": " ".join(sys.argv) if sys.argv and sys.argv[0] else "python",
            "created_utc": _now(),
            "design": design,
        }

    def check(self) -> RunStore:
        """Refuse a folder that holds something else (writes nothing)."""
        path = self.folder / "manifest.json"
        if self.folder.exists() and not self.folder.is_dir():
            raise DesignError(f"--out {self.folder}: exists and is not a folder")
        if path.is_file():
            old = _read_manifest(path)
            if old.get("design_key") != self.key:
                raise DesignMismatch(
                    f"--out {self.folder} holds a different {old.get('experiment', 'experiment')} "
                    f"(design {old.get('design_key')}, base scenario "
                    f"{old.get('base_scenario')}@{old.get('base_scenario_hash')}; this one is design "
                    f"{self.key} on {self.stamp['base_scenario']}@{self.stamp['base_scenario_hash']}). "
                    "Use another --out, or delete that folder to start over."
                )
            self._check_code(old)
            self.manifest["created_utc"] = old.get("created_utc", self.manifest["created_utc"])
        elif self.folder.is_dir() and any(self.folder.iterdir()):
            raise DesignMismatch(
                f"--out {self.folder}: the folder exists, is not empty and has no manifest.json "
                "of an experiment; use another --out"
            )
        return self

    def _check_code(self, old: dict) -> None:
        """Refuse runs of other code, or (allowed) list every version and commit in the manifest."""
        now_v, now_c = self.stamp["lab_version"], self.stamp["git_commit"]
        old_v, old_c = old.get("lab_version"), old.get("git_commit")
        versions = _as_list(old.get("lab_versions"), old_v)
        commits = _as_list(old.get("git_commits"), old_c)
        if (old_v, old_c) != (now_v, now_c) and not self.allow_code_change:
            raise CodeChanged(
                f"--out {self.folder} holds runs of this {old.get('experiment', 'experiment')} "
                f"made by other code: lab {old_v} at git commit {old_c}; this is lab {now_v} at "
                f"git commit {now_c}. Resuming would mix results of two model versions in one "
                "table. Use another --out (or delete the folder) to start over with this code, "
                "or pass --allow-code-change (allow_code_change=True) to keep the old runs and "
                "add the missing ones; each run row records its lab_version and git_commit."
            )
        self.manifest["lab_versions"] = list(dict.fromkeys([*versions, now_v]))
        self.manifest["git_commits"] = list(dict.fromkeys([*commits, now_c]))

    def open(self, executor: str | None = None) -> RunStore:
        """Check the folder, then create it and write the manifest (``executor``: where runs go)."""
        self.check()
        if executor:
            self.manifest["executor"] = executor
        self.runs.mkdir(parents=True, exist_ok=True)
        self.write_json("manifest.json", self.manifest)
        return self

    def write_json(self, name: str, data: dict) -> None:
        """Write ``name`` in the folder atomically (temporary file, fsync, rename)."""
        with atomic_file(self.folder / name) as tmp:
            tmp.write_text(
                json.dumps(data, indent=2, ensure_ascii=False, default=_json_default),
                encoding="utf-8",
            )

    def done_ids(self) -> set[str]:
        """Ids of the valid runs on disk (see :meth:`scan`; invalid files are left in place)."""
        return self.scan()[0]

    def scan(self) -> tuple[set[str], list[Path]]:
        """The valid run files in ``runs/`` (their ids) and the invalid ones (their paths).

        A file is valid when it is a readable parquet file stamped with this
        experiment's design key whose one row has the ``run_id`` of its name.
        Files already checked in this process are not read again.
        """
        if not self.runs.is_dir():
            return set(), []
        good: set[str] = set()
        bad: list[Path] = []
        for path in sorted(self.runs.glob("*.parquet")):
            if path.name[0] in "._":
                continue
            rid = path.name[: -len(".parquet")]
            if rid in self._valid or self._is_run_file(path, rid):
                self._valid.add(rid)
                good.add(rid)
            else:
                bad.append(path)
        return good, bad

    def _is_run_file(self, path: Path, rid: str) -> bool:
        """Whether ``path`` is a run file of this experiment holding run ``rid``.

        Only the parquet footer is read (the stamp, the row count and the ``run_id``
        column's statistics), so checking a resume of many runs stays quick.
        """
        import pyarrow.parquet as pq

        try:
            meta = pq.read_metadata(path)
            stamp = meta.metadata or {}
            if stamp.get(b"lab:design_key", b"").decode() != self.key or meta.num_rows != 1:
                return False
            col = meta.row_group(0).column(meta.schema.names.index("run_id"))
            stats = col.statistics
            if stats is not None and stats.has_min_max:
                return stats.min == stats.max == rid
            ids = pq.read_table(path, columns=["run_id"]).column("run_id").to_pylist()
        except Exception:  # any unreadable file is simply not a finished run
            return False
        return ids == [rid]

    def set_aside(self, paths: Sequence[Path]) -> Path:
        """Move ``paths`` into ``runs/_rejected/`` (kept for inspection, never deleted)."""
        dest = self.runs / REJECTED
        dest.mkdir(exist_ok=True)
        for path in paths:
            target = dest / path.name
            n = 1
            while target.exists():
                target = dest / f"{path.stem}.{n}{path.suffix}"
                n += 1
            os.replace(path, target)
            self._valid.discard(path.name[: -len(".parquet")])
        return dest

    def write_run(self, run_id: str, row: dict) -> None:
        """Write one finished run atomically as ``runs/<run_id>.parquet``.

        The file is written under a temporary name, flushed to disk and renamed, so
        a kill or a crash at any moment leaves the whole file or none.  The row gets
        the columns ``lab_version`` and ``git_commit`` of the code that wrote it.
        """
        path = self.runs / f"{run_id}.parquet"
        row = {
            **row,
            "lab_version": self.stamp["lab_version"],
            "git_commit": self.stamp["git_commit"],
        }
        with atomic_file(path) as tmp:
            write_parquet(pd.DataFrame([row]), tmp, {**self.stamp, "seed": row.get("seed", "")})
        self._valid.add(run_id)

    def read_runs(self, ids: Sequence[str] | None = None) -> pd.DataFrame:
        """The stored rows (all, or those of ``ids``) as one table, sorted by run id."""
        import pyarrow.dataset as ds

        have = self.done_ids()
        wanted = sorted(have if ids is None else set(ids) & have)
        if not wanted:
            return pd.DataFrame(columns=["run_id"])
        files = [str(self.runs / f"{i}.parquet") for i in wanted]
        try:
            data = ds.dataset(files, format="parquet")
            mixed = len(self.manifest["git_commits"]) > 1 or len(self.manifest["lab_versions"]) > 1
            if mixed:  # runs of other code may lack (or add) columns: take them all
                data = ds.dataset(files, format="parquet", schema=_unified_schema(data))
            df = data.to_table().to_pandas()
        except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
            self._refuse_damaged(files, exc)
        return df.sort_values("run_id", ignore_index=True)

    def _refuse_damaged(self, files: Sequence[str], exc: Exception) -> NoReturn:
        """A run file whose footer looked right but whose data cannot be read (e.g. a
        damaged disk block): set the unreadable ones aside and say to run again."""
        import pyarrow.parquet as pq

        bad = []
        for name in files:
            try:
                pq.read_table(name)
            except Exception:  # unreadable, whatever the reason
                bad.append(Path(name))
        if not bad:
            raise DesignError(f"{self.runs}: the run files cannot be read together ({exc})")
        dest = self.set_aside(bad)
        raise DesignError(
            f"{len(bad)} run file(s) in {self.runs} could not be read ({bad[0].name}: "
            f"{' '.join(str(exc).split())[:200]}); moved to {dest}. Run the same command "
            "again to redo those runs."
        )


def _unified_schema(data):
    import pyarrow as pa

    return pa.unify_schemas([f.physical_schema for f in data.get_fragments()])


def _read_manifest(path: Path) -> dict:
    """The manifest as a dict; a clear DesignError naming the file when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DesignError(
            f"{path}: not a readable manifest.json of an experiment ({exc}); "
            "use another --out, or delete that folder to start over"
        ) from None
    if not isinstance(data, dict):
        raise DesignError(
            f"{path}: not a manifest.json of an experiment (a JSON {type(data).__name__}, "
            "not an object); use another --out, or delete that folder to start over"
        )
    return data


def _as_list(values, single) -> list:
    if isinstance(values, list) and values:
        return [str(v) for v in values]
    return [] if single is None else [str(single)]


def _json_default(x):
    if hasattr(x, "item"):
        return x.item()
    return str(x)


def _run_task(task: tuple) -> dict:
    """Worker: run one spec and return its row of metrics (module-level so it pickles)."""
    from lab.api import run

    rid, scenario, seed, days, metrics = task
    res = run(scenario, seed=seed, days=days)
    row = {"run_id": rid, "seed": int(seed), "days": int(res.days)}
    row["scenario_hash"] = res.meta["scenario_hash"]
    for k, v in metrics(res).items():
        row[k] = float(v)
    return row


def evaluate(
    specs: Sequence[RunSpec],
    base: dict,
    store: RunStore,
    executor,
    metrics: Callable = experiment_metrics,
    progress: bool | None = None,
    description: str = "runs",
) -> int:
    """Run every spec whose id is not on disk yet, writing each row as it finishes.

    Returns
    -------
    int
        Number of runs executed now (the others were already done).
    """
    from lab.parallel.pool import _progress_bar

    done, bad = store.scan()
    if bad:
        dest = store.set_aside(bad)
        warnings.warn(
            f"{len(bad)} file(s) in {store.runs} were not valid runs of this experiment "
            f"(truncated, empty, unreadable, foreign or holding another run's id): moved to "
            f"{dest} and their runs run again",
            RunFileWarning,
            stacklevel=2,
        )
    todo: dict[str, RunSpec] = {}
    for s in specs:
        if s.run_id not in done:
            todo.setdefault(s.run_id, s)
    tasks = (
        (rid, (rid, apply_overrides(base, dict(s.overrides)), s.seed, s.days, metrics))
        for rid, s in todo.items()
    )
    unique = len({s.run_id for s in specs})
    with _progress_bar(unique, description, progress) as bar:
        job = bar.add_task(description, total=unique, completed=unique - len(todo))
        for rid, row in executor.stream(_run_task, tasks):
            store.write_run(rid, row)
            bar.advance(job)
    return len(todo)


def finite_mean(values) -> float:
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else math.nan


def run_table(specs: Sequence[RunSpec], store: RunStore) -> pd.DataFrame:
    """One row per spec: ``point``, the parameters, ``seed``, ``run_id`` and the metrics."""
    design = pd.DataFrame(
        [
            {
                "point": s.point,
                **{p.path: v for p, v in s.overrides},
                "seed": s.seed,
                "run_id": s.run_id,
            }
            for s in specs
        ]
    )
    runs = store.read_runs([s.run_id for s in specs])
    # the design's columns win: seed, and days when days is a swept parameter
    runs = runs.drop(columns=[c for c in runs.columns if c in design.columns and c != "run_id"])
    missing = set(design["run_id"]) - set(runs["run_id"])
    if missing:
        raise RuntimeError(f"{len(missing)} run(s) missing from {store.runs}")
    out = design.merge(runs, on="run_id", how="left", validate="many_to_one")
    return out.sort_values(["point", "seed"], ignore_index=True)
