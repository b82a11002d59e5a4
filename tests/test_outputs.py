"""Outputs never destroy what the lab did not write, and faults leave the previous outputs.

Issue 12: the output-folder marker, safe default names, one refusal for bad ``--out``,
calibration as one atomic unit, fault injection at every step of each writer,
formula neutralisation in CSV/xlsx, plain byte-identical data files.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import lab
from lab.calibrate.ingest import clean_orders
from lab.calibrate.scenario_out import calibrate, write_calibration
from lab.cli import app
from lab.io import (
    MADE_BY,
    OutputError,
    atomic_folder,
    default_out,
    neutralise_frame,
    neutralise_text,
    safe_slug,
    unneutralise_text,
    write_csv,
)
from lab.known_customers import read_known_customers, write_known_customers
from lab.results import load_table
from tests.test_calibrate_scenario import synthetic_log

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
BASE = str(ROOT / "scenarios" / "baseline.yaml")
PROMO = str(ROOT / "scenarios" / "q1_weekly_20off.yaml")
DAYS = ["--days", "5"]


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` with a hash of its bytes (folders as 'dir')."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def user_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "thesis"
    (folder / "sub").mkdir(parents=True)
    (folder / "thesis.docx").write_text("draft", encoding="utf-8")
    (folder / "sub" / "notes.txt").write_text("notes", encoding="utf-8")
    return folder


def refused(res, *needles: str) -> None:
    """Exit 2, one message, no traceback."""
    assert res.exit_code == 2, res.output
    assert isinstance(res.exception, SystemExit), res.exception  # no traceback
    assert "error:" in res.output and "Traceback" not in res.output
    for n in needles:
        assert n in " ".join(res.output.split()), res.output


@pytest.fixture(scope="module")
def orders_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("orders") / "shop_orders.csv"
    synthetic_log(n=600, seed=5).to_csv(path, index=False)
    return path


# ------------------------------------------------------------ 1: user folders survive
FOLDER_COMMANDS = {
    "run": ["run", BASE, *DAYS, "-q"],
    "compare": ["compare", BASE, PROMO, "--seeds", "2", "--workers", "1", *DAYS, "-q"],
    "sweep": ["sweep", PROMO, "--set", "strategies[0].depth=0.1,0.2", "--seeds", "1", *DAYS],
    "sensitivity": [
        "sensitivity", PROMO, "--params", "strategies[0].depth=0.05:0.5",
        "--params", "acquisition.paid.daily_budget_cny=100:200", "--samples", "2",
        "--seeds", "1", "--outputs", "gmv", *DAYS,
    ],
    "optimize": [
        "optimize", PROMO, "--params", "strategies[0].depth=0.0:0.4", "--objective", "gmv",
        "--trials", "2", "--seeds", "1", *DAYS,
    ],
    "backtest": ["backtest", "ORDERS", "--calibration-end", "2025-09-30", "--seeds", "1",
                 "--runs-per-seed", "1"],
}  # fmt: skip


@pytest.mark.parametrize("command", sorted(FOLDER_COMMANDS))
def test_a_folder_of_user_files_given_as_out_survives(command, tmp_path, orders_csv):
    folder = user_folder(tmp_path)
    before = snapshot(tmp_path)
    argv = [str(orders_csv) if a == "ORDERS" else a for a in FOLDER_COMMANDS[command]]
    res = runner.invoke(app, [*argv, "--out", str(folder)])
    refused(res, str(folder))
    assert snapshot(tmp_path) == before  # nothing deleted, nothing written beside it


@pytest.mark.parametrize("target", ["thesis.html", "thesis.xlsx"])
def test_report_does_not_overwrite_a_file_the_lab_did_not_write(target, tmp_path):
    (tmp_path / target).write_bytes(b"my own work")
    before = snapshot(tmp_path)
    res = runner.invoke(
        app, ["report", BASE, "--seeds", "1", *DAYS, "--out", str(tmp_path / "thesis.html")]
    )
    refused(res, "was not written by the lab")
    assert snapshot(tmp_path) == before


def test_report_replaces_its_own_files(tmp_path):
    out = tmp_path / "r.html"
    argv = ["report", BASE, "--seeds", "1", *DAYS, "--out", str(out), "-q"]
    assert runner.invoke(app, argv).exit_code == 0
    first = out.read_bytes()
    res = runner.invoke(app, argv)  # the lab's stamped page and workbook: replaced
    assert res.exit_code == 0, res.output
    assert b"private-traffic-lab" in first and out.with_suffix(".xlsx").is_file()


def test_calibrate_does_not_overwrite_a_scenario_it_did_not_write(tmp_path, orders_csv):
    mine = tmp_path / "shop.yaml"
    mine.write_text("name: my hand-made scenario\n", encoding="utf-8")
    before = snapshot(tmp_path)
    res = runner.invoke(app, ["calibrate", str(orders_csv), "--out", str(mine)])
    refused(res, str(mine), "not written by lab calibrate")
    assert snapshot(tmp_path) == before


def test_only_a_lab_folder_is_replaced_and_never_with_user_files_inside(tmp_path):
    out = tmp_path / "r"
    assert runner.invoke(app, ["run", BASE, *DAYS, "--out", str(out), "-q"]).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["made_by"] == MADE_BY and "daily.csv" in manifest["lab_files"]
    # the lab's own folder is replaced (another seed: other data)
    res = runner.invoke(app, ["run", BASE, *DAYS, "--seed", "9", "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    assert load_table(out / "daily.parquet")[1]["seed"] == "9"
    # ... but not once a user put a file into it: refused, both kept
    (out / "my_notes.txt").write_text("mine", encoding="utf-8")
    before = snapshot(tmp_path)
    res = runner.invoke(app, ["run", BASE, *DAYS, "--seed", "3", "--out", str(out), "-q"])
    refused(res, "my_notes.txt")
    assert snapshot(tmp_path) == before
    # an empty folder is fine
    (tmp_path / "empty").mkdir()
    res = runner.invoke(app, ["run", BASE, *DAYS, "--out", str(tmp_path / "empty"), "-q"])
    assert res.exit_code == 0 and (tmp_path / "empty" / "daily.parquet").is_file()


def legacy_run_folder(folder: Path) -> Path:
    """A run folder as lab 0.1 wrote it: stamped manifest, a ``files`` dict, no marker."""
    folder.mkdir()
    files = {"daily.csv": 5, "daily.parquet": 5}
    for name in files:
        (folder / name).write_text("old", encoding="utf-8")
    (folder / "scenario.json").write_text("{}", encoding="utf-8")
    stamp = {"scenario_hash": "abc", "seed": "7", "lab_version": "0.1.0", "files": files}
    (folder / "manifest.json").write_text(json.dumps(stamp), encoding="utf-8")
    return folder


def test_a_folder_from_before_the_marker_is_still_the_labs_to_replace(tmp_path):
    # an upgrade must not lock a user out of `make demo`'s own earlier reports/baseline
    old = legacy_run_folder(tmp_path / "old")
    res = runner.invoke(app, ["run", BASE, *DAYS, "--out", str(old), "-q"])
    assert res.exit_code == 0, res.output
    assert json.loads((old / "manifest.json").read_text(encoding="utf-8"))["made_by"] == MADE_BY
    # ... but a file it does not list is the user's: refused, nothing touched
    kept = legacy_run_folder(tmp_path / "kept")
    (kept / "thesis.docx").write_text("draft", encoding="utf-8")
    before = snapshot(tmp_path / "kept")
    refused(runner.invoke(app, ["run", BASE, *DAYS, "--out", str(kept), "-q"]), "thesis.docx")
    assert snapshot(tmp_path / "kept") == before
    # a manifest without the lab's stamp is not the lab's
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "manifest.json").write_text(json.dumps({"files": []}), encoding="utf-8")
    refused(runner.invoke(app, ["run", BASE, *DAYS, "--out", str(foreign), "-q"]))


def test_run_out_dot_inside_a_project_is_refused(tmp_path, monkeypatch):
    project = user_folder(tmp_path)
    (project / ".git").mkdir()
    monkeypatch.chdir(project)
    before = snapshot(tmp_path)
    refused(runner.invoke(app, ["run", BASE, *DAYS, "--out", ".", "-q"]), "not made by the lab")
    assert snapshot(tmp_path) == before


# ------------------------------------------------------------ 2: names are never paths
NASTY_NAMES = [
    "../../p3",
    "/etc",
    "/",
    "",
    ".",
    "..",
    "a/b\\c",
    "x\x00y\nz\x1b[31m",
    "." * 5,
    "-rf",
    ".hidden",
    "n" * 500,
    "名字 with spaces",
    "C:\\Windows",
]


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_default_paths_from_names_are_one_safe_entry_inside_reports(name, tmp_path):
    slug = safe_slug(name)
    assert slug and slug not in (".", "..") and not slug.startswith(".")
    assert "/" not in slug and "\\" not in slug and len(slug) <= 80
    assert all(c.isprintable() for c in slug)
    path = default_out("compare", name, "vs", name)
    assert path.parent == Path("reports") and len(path.parts) == 2
    base = (tmp_path / "reports").resolve()
    assert (tmp_path / path).resolve().parent == base


def test_slug_keeps_readable_names():
    assert safe_slug("q1-weekly_20off.v2") == "q1-weekly_20off.v2"
    assert safe_slug("门店 会员") == "门店_会员"


def test_lab_run_of_a_scenario_named_like_a_path_writes_inside_reports(tmp_path, monkeypatch):
    work = tmp_path / "work"
    victim = tmp_path / "p3"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious", encoding="utf-8")
    work.mkdir()
    monkeypatch.chdir(work)
    sc = work / "s.yaml"
    sc.write_text(f"extends: {BASE}\nname: ../../p3\n", encoding="utf-8")
    res = runner.invoke(app, ["run", str(sc), *DAYS, "-q"])
    assert res.exit_code == 0, res.output
    assert (victim / "keep.txt").read_text(encoding="utf-8") == "precious"
    assert [p.name for p in (work / "reports").iterdir()] == ["p3"]
    assert (work / "reports" / "p3" / "daily.parquet").is_file()


# ------------------------------------------------------------ 4: odd, unwritable, full --out
def test_odd_out_paths_end_in_one_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    before = snapshot(tmp_path)
    for out, needle in [
        (blocker, "exists and is not a folder"),
        (blocker / "under", "is a file, not a folder"),
        (blocker / "deep" / "er", "is a file, not a folder"),
    ]:
        for argv in (["run", BASE, *DAYS], ["compare", BASE, PROMO, "--seeds", "2", *DAYS]):
            refused(runner.invoke(app, [*argv, "--out", str(out), "-q"]), str(out), needle)
        assert snapshot(tmp_path) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_unwritable_out_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        res = runner.invoke(app, ["run", BASE, *DAYS, "--out", str(locked / "r"), "-q"])
        refused(res, "not writable")
    finally:
        locked.chmod(0o700)


def test_permission_denied_while_writing_ends_in_one_message(tmp_path, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(args[0]))

    monkeypatch.setattr(os, "mkdir", denied)  # as in a folder the user cannot write to
    for argv in (["run", BASE, *DAYS], ["compare", BASE, PROMO, "--seeds", "2", *DAYS]):
        out = tmp_path / "new" / "deeper"
        refused(runner.invoke(app, [*argv, "--out", str(out), "-q"]), "Permission denied")
        assert list(tmp_path.iterdir()) == []


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_ends_in_one_message_and_keeps_the_previous_outputs(tmp_path, monkeypatch):
    out = tmp_path / "r"
    assert runner.invoke(app, ["run", BASE, *DAYS, "--out", str(out), "-q"]).exit_code == 0
    before = snapshot(tmp_path)
    monkeypatch.setattr(os, "fsync", _enospc)  # every file is fsynced before its rename
    res = runner.invoke(app, ["run", BASE, *DAYS, "--seed", "4", "--out", str(out), "-q"])
    refused(res, str(out), "no space left on the device")
    assert snapshot(tmp_path) == before  # previous outputs, and no half-written leftovers
    res = runner.invoke(app, ["run", BASE, *DAYS, "--out", str(tmp_path / "new"), "-q"])
    refused(res, "no space left")
    assert not (tmp_path / "new").exists() and snapshot(tmp_path) == before


# ------------------------------------------------------------ 3 + 12: fault injection
class Fault(Exception):
    """Stands for a kill at a given step (raised where the file system is touched)."""


def fail_at(monkeypatch, step: int, exc: BaseException) -> list[int]:
    """Make the ``step``-th file-system step raise ``exc``.

    Steps: os.replace, os.fsync, os.mkdir and the atomic folder exchange.
    """
    import lab.io

    calls = [0]
    for module, name in ((os, "replace"), (os, "fsync"), (os, "mkdir"), (lab.io, "_exchange")):
        real = getattr(module, name)

        def wrapped(*args, _real=real, **kwargs):
            calls[0] += 1
            if calls[0] == step:
                raise exc
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapped)
    return calls


def each_step(monkeypatch, write, check, limit: int = 400) -> int:
    """Fail ``write`` at step 1, 2, ... (ENOSPC, then a kill) and ``check`` after each."""
    for step in range(1, limit):
        hit = False
        for exc in (OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()):
            with monkeypatch.context() as m:
                fail_at(m, step, exc)
                try:
                    write()
                except (OutputError, KeyboardInterrupt, OSError):
                    hit = True
            check()
        if not hit:
            return step  # the write got through all its steps
    raise AssertionError("writer did not finish")


def no_partials(folder: Path) -> None:
    assert not [p for p in folder.rglob("*") if ".partial-" in p.name or ".old-" in p.name]


def test_run_save_killed_at_every_step_keeps_the_previous_outputs(tmp_path, monkeypatch):
    sc = lab.load_scenario(BASE)
    first = lab.run(sc, seed=1, days=5)
    second = lab.run(sc, seed=2, days=5)
    out = tmp_path / "r"
    first.save(out)
    seen = set()

    def check():
        daily, meta = load_table(out / "daily.parquet")  # loads: one whole folder or the other
        assert daily.equals({"1": first, "2": second}[meta["seed"]].daily)
        assert set(json.loads((out / "manifest.json").read_text())["lab_files"]) == {
            p.relative_to(out).as_posix() for p in out.rglob("*") if p.name != "manifest.json"
        }
        no_partials(tmp_path)
        seen.add(meta["seed"])
        if meta["seed"] == "2":
            first.save(out)  # back to the old outputs for the next step

    steps = each_step(monkeypatch, lambda: second.save(out), check)
    assert steps > 8 and seen == {"1", "2"}  # every file fsynced, then the swap


@pytest.fixture(scope="module")
def calibrations():
    old = clean_orders(synthetic_log(n=500, seed=7), source="old.csv")
    new = clean_orders(synthetic_log(n=450, seed=8), source="new.csv")
    return calibrate(old, "2025-09-30"), calibrate(new, "2025-09-30")


def test_calibrate_killed_at_every_step_leaves_a_loadable_scenario(
    calibrations, tmp_path, monkeypatch
):
    old, new = calibrations
    target = tmp_path / "shop.yaml"
    write_calibration(old, target)
    n_old = len(lab.load_scenario(target).acquisition.known_customers.table)
    assert n_old == old.fit.n != new.fit.n

    def check():
        sc = lab.load_scenario(target)  # loads: the checksum matches its own folder
        assert len(sc.acquisition.known_customers.table) in (old.fit.n, new.fit.n)
        no_partials(tmp_path)
        # at most the folder of the YAML and one orphan of an interrupted write
        assert len(list(tmp_path.glob("shop.data-*"))) <= 2

    steps = each_step(monkeypatch, lambda: write_calibration(new, target), check)
    assert steps > 10
    assert len(lab.load_scenario(target).acquisition.known_customers.table) == new.fit.n
    assert len(list(tmp_path.glob("shop.data-*"))) == 1  # the old folder removed at the end
    # and the calibrated scenario runs
    assert len(lab.run(lab.load_scenario(target), seed=1, days=3).daily) == 3


def test_calibrate_failure_before_commit_keeps_the_old_scenario_exactly(
    calibrations, tmp_path, monkeypatch
):
    old, new = calibrations
    target = tmp_path / "shop.yaml"
    write_calibration(old, target)
    before = snapshot(tmp_path)
    monkeypatch.setattr(os, "fsync", _enospc)
    with pytest.raises(OutputError, match="no space left"):
        write_calibration(new, target)
    assert snapshot(tmp_path) == before


def test_sweep_tables_and_report_pair_killed_at_every_step(tmp_path, monkeypatch):
    from lab.report.write import write_pair

    html = tmp_path / "r.html"
    write_pair("<p>old</p>", lambda p: Path(p).write_bytes(b"old book"), html)

    def check():
        assert html.read_text(encoding="utf-8") in ("<p>old</p>", "<p>new</p>")
        pair = (html.read_text(encoding="utf-8"), html.with_suffix(".xlsx").read_bytes())
        assert pair in (("<p>old</p>", b"old book"), ("<p>new</p>", b"new book"))
        no_partials(tmp_path)

    new = lambda: write_pair("<p>new</p>", lambda p: Path(p).write_bytes(b"new book"), html)  # noqa: E731
    assert each_step(monkeypatch, new, check) >= 3


# ------------------------------------------------------------ 5: formula injection
def test_text_cells_are_neutralised_numbers_untouched():
    df = pd.DataFrame(
        {
            "name": ["=1+2", "+cmd", "-x", "@SUM(A1)", "\tTAB", "\rCR", "'=q", "plain", None],
            "amount": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
            "count": [-1, 2, 3, 4, 5, 6, 7, 8, 9],
            "segment": pd.Categorical(["-a", "b", "=c", "b", "b", "b", "b", "b", "b"]),
        }
    )
    out = neutralise_frame(df)
    assert out["name"].tolist()[:8] == [
        "'=1+2", "'+cmd", "'-x", "'@SUM(A1)", "'\tTAB", "'\rCR", "''=q", "plain",
    ]  # fmt: skip
    assert out["name"].iloc[8] is None
    assert out["amount"].equals(df["amount"]) and out["count"].equals(df["count"])
    assert out["segment"].tolist()[:3] == ["'-a", "b", "'=c"]
    assert [unneutralise_text(v) for v in out["name"]] == df["name"].tolist()
    assert neutralise_text(-3) == -3 and df["name"].iloc[0] == "=1+2"  # input not changed


def test_csv_output_has_no_formula_text_and_keeps_negative_numbers(tmp_path):
    df = pd.DataFrame({"scenario": ['=HYPERLINK("x")', "-b"], "diff": [-12.5, 3.0]})
    write_csv(df, tmp_path / "t.csv")
    lines = (tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "scenario,diff"  # plain CSV, no stamp line
    assert lines[1].startswith("\"'=HYPERLINK") and lines[1].endswith(",-12.5")
    back = pd.read_csv(tmp_path / "t.csv")
    assert back["diff"].tolist() == [-12.5, 3.0]


def test_known_customer_ids_are_neutralised_and_round_trip(tmp_path):
    ids = ["=cmd|' /C calc'!A0", "-5", "+1", "@x", "'=y", "ok"]
    frame = pd.DataFrame({"customer_id": ids, "join_date": ["2025-01-01"] * len(ids)})
    path = tmp_path / "k.csv"
    write_known_customers(frame, path)
    raw = path.read_text(encoding="utf-8")
    assert "\n=cmd" not in raw and "\n'=cmd" in raw and "\n'-5," in raw
    assert read_known_customers(path).frame["customer_id"].tolist() == ids


def test_compare_tables_neutralise_scenario_names(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(f"extends: {BASE}\nname: '=1+2'\n", encoding="utf-8")
    b.write_text(f"extends: {PROMO}\nname: '@SUM(A1)'\n", encoding="utf-8")
    out = tmp_path / "cmp"
    argv = ["compare", str(a), str(b), "--seeds", "2", "--workers", "1", *DAYS]
    res = runner.invoke(app, [*argv, "--no-plots", "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    assert out.parent.joinpath("cmp").is_dir()
    for name in ("comparison.csv", "differences.csv", "totals.csv"):
        table = pd.read_csv(out / name)
        text = table.select_dtypes(include="object")
        cells = [v for col in text for v in text[col].dropna()]
        assert not [v for v in cells if str(v)[:1] in ("=", "+", "@", "\t", "\r")], name
        assert {"'=1+2", "'@SUM(A1)"} & set(map(str, cells)), name  # the names, neutralised


# ------------------------------------------------------------ 6: plain, reproducible files
def test_same_scenario_and_seed_give_byte_identical_data_files(tmp_path):
    outs = [tmp_path / "one", tmp_path / "two"]
    for out in outs:
        res = runner.invoke(app, ["run", BASE, *DAYS, "--seed", "5", "--out", str(out), "-q"])
        assert res.exit_code == 0, res.output
    one, two = (snapshot(o) for o in outs)
    assert set(one) == set(two) and len(one) >= 8
    for name in one:
        if name != "manifest.json":
            assert one[name] == two[name], name
    m1, m2 = (json.loads((o / "manifest.json").read_text(encoding="utf-8")) for o in outs)
    m1.pop("created_utc"), m2.pop("created_utc")
    assert m1 == m2  # only the creation time differs, and it lives only in the manifest
    daily = pd.read_csv(outs[0] / "daily.csv")  # plain pandas, no comment handling
    assert len(daily) == 5 and daily["gmv"].dtype.kind == "f"
    _, meta = load_table(outs[0] / "daily.csv")
    assert meta["seed"] == "5" and "created_utc" not in load_table(outs[0] / "daily.parquet")[1]


def test_calibrated_scenario_yaml_points_inside_its_data_folder(calibrations, tmp_path):
    old, _ = calibrations
    paths = write_calibration(old, tmp_path / "shop.yaml")
    data = yaml.safe_load(paths["scenario"].read_text(encoding="utf-8"))
    rel = data["acquisition"]["known_customers"]["file"]
    assert not Path(rel).is_absolute() and rel == f"{paths['folder'].name}/customers.csv"
    manifest = json.loads((paths["folder"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["made_by"] == MADE_BY and "fit/fit.json" in manifest["lab_files"]


def test_atomic_folder_refuses_before_running_the_block(tmp_path):
    folder = user_folder(tmp_path)
    ran = []
    with pytest.raises(OutputError, match="not made by the lab"):
        with atomic_folder(folder):
            ran.append(1)
    assert not ran


def _folder_fault_test(monkeypatch, tmp_path, save_old, save_new, marker) -> int:
    """Save the old outputs, then fail the new save at every step; ``marker`` tells them apart."""
    out = tmp_path / "o"
    save_old(out)
    old = snapshot(out)

    def check():
        state = marker(out)
        assert state in ("old", "new")  # a whole folder, one or the other
        no_partials(tmp_path)
        if state == "new":  # the write got through: put the old outputs back
            save_old(out)
        assert snapshot(out) == old  # the old outputs, byte for byte

    return each_step(monkeypatch, lambda: save_new(out), check)


def test_compare_save_killed_at_every_step(tmp_path, monkeypatch):
    from lab.experiments import compare

    sc = {"a": lab.load_scenario(BASE), "b": lab.load_scenario(PROMO)}
    one = compare(sc, [0, 1], days=5, workers=1, progress=False)
    two = compare(sc, [7, 8], days=5, workers=1, progress=False)

    def marker(out):
        seeds = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["seeds"]
        assert pd.read_csv(out / "totals.csv")["seed"].min() == int(seeds.split("..")[0])
        return {"0..1": "old", "7..8": "new"}[seeds]

    steps = _folder_fault_test(
        monkeypatch,
        tmp_path,
        lambda out: one.save(out, plots=False),
        lambda out: two.save(out, plots=False),
        marker,
    )
    assert steps > 5


def _cheap_plots(monkeypatch) -> None:
    """Draw no curves and write a stand-in PNG: the folder's steps are what is tested.

    Drawing the three-panel back-test figure costs ~1 s a save, and the test saves
    ~60 times; the PNG is written inside the atomic folder like every other file, so
    its content does not change which file-system steps the save takes.
    """
    import matplotlib.figure

    import lab.plots.calibration

    def stand_in(self, path, *args, **kwargs):
        Path(path).write_bytes(b"\x89PNG stand-in")

    monkeypatch.setattr(lab.plots.calibration, "plot_backtest", lambda *a, **k: None)
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", stand_in)


def test_backtest_save_killed_at_every_step(tmp_path, monkeypatch):
    from lab.calibrate.backtest import backtest, save_backtest

    clean = clean_orders(synthetic_log(n=300, seed=4), source="s.csv")
    old, new = (
        backtest(clean, "2025-09-30", seeds=[s], runs_per_seed=1, workers=1, progress=False)
        for s in (0, 1)
    )
    _cheap_plots(monkeypatch)

    def marker(out):
        seeds = json.loads((out / "summary.json").read_text(encoding="utf-8"))["seeds"]
        assert len(pd.read_csv(out / "errors.csv")) == len(old.errors)
        return {0: "old", 1: "new"}[seeds[0]]

    steps = _folder_fault_test(
        monkeypatch,
        tmp_path,
        lambda out: save_backtest(old, out),
        lambda out: save_backtest(new, out),
        marker,
    )
    assert steps > 5


def test_single_file_writes_killed_at_every_step(tmp_path, monkeypatch):
    from lab.calibrate.retention import write_fragment
    from lab.calibrate.sbg import fit_sbg

    fit = fit_sbg([1, 0.6, 0.45, 0.38, 0.33], cohort_size=1000)
    out = tmp_path / "frag.yaml"
    write_fragment({"a": 1}, fit, out, source="old")

    def check():
        text = out.read_text(encoding="utf-8")
        assert text.startswith(("# sBG churn fit of old", "# sBG churn fit of new"))
        assert yaml.safe_load(text) == {"a": 1}
        no_partials(tmp_path)
        if "of new" in text:
            write_fragment({"a": 1}, fit, out, source="old")

    assert each_step(monkeypatch, lambda: write_fragment({"a": 1}, fit, out, "new"), check) > 2


def test_a_stray_file_system_error_in_any_command_is_one_message(tmp_path, monkeypatch):
    import lab.api

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", "/some/file")

    monkeypatch.setattr(lab.api, "run", denied)
    res = runner.invoke(app, ["run", BASE, *DAYS, "--out", str(tmp_path / "r"), "-q"])
    refused(res, "/some/file: Permission denied")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------ 16: CSV text made on threads
def _csv_work_left() -> int:
    """Slices still queued or being formatted on the CSV text threads."""
    from lab import csv_arrow

    pools = [csv_arrow._pool(n) for n in range(2, csv_arrow.MAX_THREADS + 1)]
    return sum(p._work_queue.qsize() for p in pools)


@pytest.mark.parametrize("fail_in", ["parquet", "csv"])
@pytest.mark.parametrize(
    "exc", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()]
)
def test_a_writer_failing_midway_leaves_nothing(tmp_path, monkeypatch, fail_in, exc):
    """A failure or an interrupt while a big table is written (its CSV text made on
    threads) leaves no output folder, no temporary folder, no thread, and the user's
    files as they were."""
    import lab.results

    res = lab.run(lab.load_scenario(BASE), seed=1, days=5)
    (tmp_path / "mine.txt").write_text("keep", encoding="utf-8")
    before = snapshot(tmp_path)
    real = {"parquet": lab.results.write_parquet_slices, "csv": lab.results.write_csv_slices}

    def failing(parts, path, *args, **kw):
        if path.name.startswith("transactions"):
            next(iter(parts))  # fail midway: the file is open, a slice built
            raise exc
        return real[fail_in](parts, path, *args, **kw)

    monkeypatch.setattr(lab.results, f"write_{fail_in}_slices", failing)
    with pytest.raises((OutputError, KeyboardInterrupt)):
        res.save(tmp_path / "run")
    assert snapshot(tmp_path) == before
    assert _csv_work_left() == 0
