"""Hostile and careless input: each class ends in one clear refusal, exit 2, nothing written."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import lab
from lab.cli import app
from lab.model import PoolModel, PoolTooLarge
from lab.scenario import MAX_YAML_NODES, ScenarioError

runner = CliRunner()

#: a 263-byte "billion laughs": 9**7 (4.8 million) strings through nested aliases
ALIAS_BOMB = (
    "".join(
        f"{k}: &{k} [{','.join([f'*{p}'] * 9 if p else ['x'] * 9)}]\n"
        for k, p in zip("abcdefg", ["", *"abcdef"], strict=True)
    )
    + "name: *g\n"
)


def _load_text(tmp_path, text: str, name: str = "s.yaml", blamed: str = "") -> list[str]:
    """Problems of loading ``text``; the message names ``blamed`` (default: the file itself)."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        lab.load_scenario(path)
    assert str(tmp_path / (blamed or name)) in str(exc.value)
    return exc.value.problems


def _cli_refuses(tmp_path, text: str, *args: str) -> str:
    """``lab run`` on ``text``: exit 2, no traceback, no output folder; the message."""
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    r = runner.invoke(app, ["run", str(path), "--out", str(out), "-q", *args])
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "Traceback" not in r.output
    assert not out.exists()
    return " ".join(r.output.split())


# ------------------------------------------------------------------ YAML safety
def test_alias_bomb_is_refused_before_it_expands(tmp_path):
    assert len(ALIAS_BOMB) < 300
    (p,) = _load_text(tmp_path, ALIAS_BOMB)
    assert "alias" in p and f"{MAX_YAML_NODES:,}" in p
    # the same budget through extends:
    (tmp_path / "bomb.yaml").write_text(ALIAS_BOMB, encoding="utf-8")
    (p,) = _load_text(tmp_path, "extends: bomb.yaml\nname: y\n", "child.yaml", "bomb.yaml")
    assert "alias" in p


def test_aliases_within_budget_still_work(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        "traits:\n  default:\n    trust: &t {dist: beta, mean: 0.5, concentration: 4}\n"
        "    deal_proneness: *t\n",
        encoding="utf-8",
    )
    sc = lab.load_scenario(path)
    assert sc.traits.default.trust == sc.traits.default.deal_proneness


def test_recursive_alias_is_refused(tmp_path):
    (p,) = _load_text(tmp_path, "name: &a [*a]\n")
    assert "itself" in p


def test_duplicate_keys_are_named_with_their_lines(tmp_path):
    (p,) = _load_text(tmp_path, "name: x\ndays: 30\nfatigue:\n  enabled: true\ndays: 40\n")
    assert "duplicate key 'days'" in p and "line 5" in p and "line 2" in p
    (p,) = _load_text(tmp_path, "fatigue:\n  enabled: true\n  enabled: false\n")
    assert "duplicate key 'enabled'" in p and "line 3" in p


def test_merge_keys_may_be_overridden(tmp_path):
    path = tmp_path / "s.yaml"
    text = "fatigue:\n  <<: {decay_per_day: 0.1, enabled: true}\n  decay_per_day: 0.2\n"
    path.write_text(text, encoding="utf-8")
    assert lab.load_scenario(path).fatigue.decay_per_day == 0.2


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "~\n"])
def test_an_empty_file_is_refused_and_braces_are_the_defaults(tmp_path, text):
    (p,) = _load_text(tmp_path, text)
    assert "empty" in p and "{}" in p
    path = tmp_path / "defaults.yaml"
    path.write_text("{}\n", encoding="utf-8")
    assert lab.load_scenario(path) == lab.Scenario()
    (tmp_path / "empty.yaml").write_text(text, encoding="utf-8")
    (p,) = _load_text(tmp_path, "extends: empty.yaml\n", "child.yaml", "empty.yaml")
    assert "empty" in p


# ------------------------------------------------------------------ non-finite numbers
@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("acquisition: {paid: {daily_budget_cny: .inf}}\n", "daily_budget_cny", "inf"),
        ("purchase: {promo_lift: .nan}\n", "purchase.promo_lift", "nan"),
        (
            "contacts: {channel_weight: {private_chat: -.inf, group: 1, moments: 1, "
            "mass_message: 1}}\n",
            "channel_weight.private_chat",
            "-inf",
        ),
        (
            "traits: {default: {basket: {mean_order_value_cny: 1.0e+308}}}\n",
            "mean_order_value_cny",
            "1e+308",
        ),
        (
            "strategies: [{type: discount_cadence, depth: 0.2, every_days: 30000000000}]\n",
            "every_days",
            "30000000000",
        ),
    ],
)
def test_non_finite_and_absurd_numbers_are_refused_with_field_and_value(
    tmp_path, text, field, value
):
    problems = _load_text(tmp_path, text)
    assert any(field in p and value in p for p in problems), problems


def test_non_finite_numbers_are_refused_from_python_objects_too():
    sc = lab.Scenario()
    with pytest.raises(ValueError, match="finite"):
        sc.acquisition.paid.daily_budget_cny = float("inf")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("days: true\n", "days"),
        ("acquisition: {paid: {daily_budget_cny: false}}\n", "daily_budget_cny"),
        ("strategies: [{type: discount_cadence, depth: true}]\n", "depth"),
        ("name: !!binary aGVsbG8=\n", "name"),
    ],
)
def test_yes_no_for_a_number_and_binary_for_text_are_refused(tmp_path, text, field):
    # pydantic's lax mode would read `true` as 1 and bytes as text: in a file both are slips
    problems = _load_text(tmp_path, text)
    assert any(field in p for p in problems), problems
    assert "problem" in _cli_refuses(tmp_path, text)


def test_switches_still_take_yes_no(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("acquisition: {paid: {enabled: false}}\n", encoding="utf-8")
    assert lab.load_scenario(path).acquisition.paid.enabled is False


# ------------------------------------------------------------------ pool size up front
def test_a_pool_beyond_max_customers_is_refused_before_allocating(tmp_path):
    text = "acquisition: {paid: {daily_budget_cny: 1.0e+11}}\n"
    (p,) = _load_text(tmp_path, text)
    assert "max_customers = 5,000,000" in p and "paid" in p
    msg = _cli_refuses(tmp_path, text)
    assert "max_customers" in msg


def test_the_projection_uses_the_run_length_actually_asked_for():
    sc = lab.scenario_from_dict(
        {
            "days": 30,
            "max_customers": 20_000,
            "acquisition": {
                "stock_import": {"customers_per_day": 500, "total_customers": 1_000_000}
            },
        }
    )
    with pytest.raises(PoolTooLarge, match="max_customers = 20,000"):
        PoolModel(sc, days=365)  # 365 x 500 a day: refused before any slot exists
    assert PoolModel(sc).pop.capacity <= 20_000 * 1.2 + 1


def test_population_never_grows_past_its_limit():
    from lab.population import Population

    pop = Population(16, limit=100)
    pop.append(100)
    with pytest.raises(PoolTooLarge, match="max_customers = 100"):
        pop.append(1)
    assert pop.capacity <= 100 and pop.n == 100


def test_the_projection_is_capped_by_a_finite_market():
    from lab.agents.acquisition import projected_customers

    sc = lab.scenario_from_dict(
        {"market": {"size": 5000}, "acquisition": {"paid": {"daily_budget_cny": 1.0e8}}}
    )
    proj = projected_customers(sc, sc.days)
    assert proj["paid"] > 5000 and proj["total"] == 5000


# ------------------------------------------------------------------ no echo of the file
def test_a_foreign_file_is_not_echoed(tmp_path):
    secret = "root:$6$s3cr3tSalt$HashHashHash:20228:0:99999:7:::"
    text = "\n".join(f"{u}{secret[4:]}" for u in ("root", "daemon", "bin", "sys")) + "\n"
    problems = _load_text(tmp_path, text)
    assert problems and not any("s3cr3t" in p or "root" in p for p in problems)
    assert "not a scenario" in problems[0]
    msg = _cli_refuses(tmp_path, text)
    assert "s3cr3t" not in msg
    (p,) = _load_text(tmp_path, secret + "\n" + secret + "\n")  # the same line twice
    assert "duplicate key" in p and "line 2" in p and "s3cr3t" not in p


def test_long_values_and_keys_are_clipped(tmp_path):
    long = "A" * 1000  # YAML's longest implicit key
    problems = _load_text(tmp_path, f"days: {long * 5}\nfatigue: {{{long}: 1}}\n")
    assert all(len(p) < 400 for p in problems) and len(problems) == 2


def test_many_problems_are_capped(tmp_path):
    text = "name: x\n" + "".join(f"k{i}: 1\n" for i in range(100))
    problems = _load_text(tmp_path, text)
    assert len(problems) == 21 and "80 more" in problems[-1]


@pytest.mark.parametrize(
    "payload", [b"\xff\xfe\x00\x00binary", b"days: 3\x00\n", b"\xef\xbb\xbfdays: [1,\n"]
)
def test_binary_and_odd_bytes_end_in_a_clear_error(tmp_path, payload):
    path = tmp_path / "s.yaml"
    path.write_bytes(payload)
    with pytest.raises(ScenarioError):
        lab.load_scenario(path)


def test_a_folder_or_device_is_not_a_scenario(tmp_path):
    with pytest.raises(ScenarioError, match="is a folder"):
        lab.load_scenario(tmp_path)


# ------------------------------------------------------------------ run limits of designs
def test_designs_above_the_run_limit_are_refused_with_the_count(tmp_path):
    from lab.experiments.design import DesignError

    big = {"days": list(range(1, 31)), "seed": list(range(20))}
    with pytest.raises(DesignError, match=r"600 points x 20 seed\(s\)\): 12,000 runs"):
        lab.sweep("scenarios/baseline.yaml", grid=big, seeds=20, out=tmp_path / "sw")
    with pytest.raises(DesignError, match="about 4e\\+12 runs"):
        lab.sweep(
            "scenarios/baseline.yaml", ranges={"days": (1, 3000)}, samples=10**12,
            out=tmp_path / "sw",
        )  # fmt: skip
    with pytest.raises(DesignError, match="--max-runs 5"):
        lab.sweep("scenarios/baseline.yaml", grid={"days": [5, 6]}, seeds=3, max_runs=5,
                  out=tmp_path / "sw")  # fmt: skip
    with pytest.raises(DesignError, match="1,200,000 runs"):
        lab.sensitivity("scenarios/baseline.yaml", {"days": (10, 20), "seed": (1, 5)},
                        samples=100_000, out=tmp_path / "sw")  # fmt: skip
    with pytest.raises(DesignError, match="20,000 runs"):
        lab.optimize("scenarios/baseline.yaml", {"days": (10, 20)}, trials=5000,
                     out=tmp_path / "sw")  # fmt: skip
    assert not (tmp_path / "sw").exists()


def test_cli_max_runs_refuses_and_names_the_count(tmp_path):
    out = tmp_path / "sw"
    r = runner.invoke(app, ["sweep", "scenarios/baseline.yaml", "--set", "days=5,6",
                            "--seeds", "3", "--max-runs", "5", "--out", str(out), "-q"])  # fmt: skip
    assert r.exit_code == 2 and "6 runs" in r.output and "--max-runs 5" in r.output
    assert not out.exists()


# ------------------------------------------------------------------ user text in plots
ODD_NAMES = ["$\\foo$", "a$b\\c_d^e%", "$"]


def test_odd_names_are_drawn_as_literal_text_in_every_plot(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lab import analysis as A
    from lab import plots as P
    from lab.experiments import compare

    base = lab.load_scenario("scenarios/baseline.yaml")
    segs = {name: 1.0 for name in ODD_NAMES}
    odd = {n: base.model_copy(update={"name": n}) for n in ODD_NAMES}
    comp = compare(odd, seeds=[1, 2], days=15, workers=1, progress=False)
    sc = lab.scenario_from_dict(
        {"name": ODD_NAMES[0], "days": 60, "traits": {"default": {"segments": segs}}}
    )
    run = lab.run(sc, seed=1)
    axes = [
        P.plot_kpi(comp, "cum_gmv"),
        P.plot_forest(comp),
        P.plot_survival(A.survival_curves(run, by="segment")),
        P.plot_ltv_distribution(A.customer_ltv(run, 30), by="segment"),
    ]
    for i, ax in enumerate(axes):
        ax.figure.savefig(tmp_path / f"{i}.png")  # mathtext would fail here
        shown = [t.get_text() for t in ax.figure.findobj(matplotlib.text.Text)]
        plt.close(ax.figure)
        assert any(ODD_NAMES[0] in t or ODD_NAMES[0].replace("$", r"\$") in t for t in shown)


def test_literal_escapes_only_dollars():
    from lab.plots._style import literal

    assert literal("$\\foo$") == "\\$\\foo\\$" and literal("a\\b") == "a\\b"


# ------------------------------------------------------------------ order exports
ORDERS = "customer_id,date,amount\nA1,2025-01-03,120.5\n张三,2025-01-05,88\nA1,2025-02-03,60\n"


@pytest.mark.parametrize(
    ("encoding", "sep", "bom", "expected"),
    [
        ("utf-16-le", "\t", b"\xff\xfe", "utf-16"),  # Excel "Unicode text"
        ("utf-16-be", ",", b"\xfe\xff", "utf-16"),
        ("gbk", ",", b"", "gb18030"),
        ("gb18030", ",", b"", "gb18030"),
        ("utf-8", ",", b"\xef\xbb\xbf", "utf-8-sig"),
    ],
)
def test_order_exports_in_utf16_and_gbk_are_decoded(tmp_path, encoding, sep, bom, expected):
    from lab.calibrate.ingest import read_orders

    path = tmp_path / "orders.csv"
    path.write_bytes(bom + ORDERS.replace(",", sep).encode(encoding))
    clean = read_orders(path)
    assert sorted(set(clean.orders["customer_id"])) == ["A1", "张三"]
    assert clean.report.encoding == expected and clean.report.rows_kept == 3


def test_an_undecodable_export_says_how_to_fix_it(tmp_path):
    from lab.analysis import OrderLogError
    from lab.calibrate.ingest import read_orders

    path = tmp_path / "orders.csv"
    path.write_bytes(b"\xff\xfe" + b"\x00\xd8" * 4)  # UTF-16 BOM, then lone surrogates
    with pytest.raises(OrderLogError, match="CSV UTF-8"):
        read_orders(path)
    r = runner.invoke(app, ["calibrate", str(path), "--out", str(tmp_path / "c.yaml")])
    assert r.exit_code == 2 and "CSV UTF-8" in " ".join(r.output.split())
    assert "Traceback" not in r.output and not (tmp_path / "c.yaml").exists()


def test_non_finite_and_absurd_amounts_are_dropped_with_a_count(tmp_path):
    from lab.calibrate.ingest import read_orders

    path = tmp_path / "orders.csv"
    path.write_text(
        "customer_id,date,amount\nA1,2025-01-03,120\nA2,2025-01-05,inf\nA3,2025-01-05,1e308\n"
        "A1,2025-02-03,-1e12\nA4,2025-02-03,-inf\nA5,2025-02-04,60\nA6,2025-02-04,5000\n",
        encoding="utf-8",
    )
    clean = read_orders(path)
    assert clean.report.count("absurd_amount") == 4
    assert set(clean.orders["customer_id"]) == {"A1", "A5", "A6"}
    assert clean.orders["amount"].max() == 5000  # sums stay finite
    strict = read_orders(path, max_amount=1000)
    assert strict.report.count("absurd_amount") == 5


def test_a_pool_the_free_memory_cannot_hold_is_refused_before_allocating(monkeypatch):
    import lab.model

    sc = lab.scenario_from_dict({"days": 30})
    monkeypatch.setattr(lab.model, "available_memory", lambda: 1_000_000)  # 1 MB free
    with pytest.raises(PoolTooLarge, match="GB of memory"):
        PoolModel(sc)
    monkeypatch.setattr(lab.model, "available_memory", lambda: None)  # unknown: no check
    assert PoolModel(sc).pop.n == 0


def test_column_lists_never_print_a_foreign_files_lines(tmp_path):
    from lab.analysis import OrderLogError
    from lab.calibrate.ingest import read_orders

    secret = tmp_path / "shadow"
    secret.write_text("root:$6$s3cr3t$hash:20228:0:99999:7:::\n" * 3, encoding="utf-8")
    with pytest.raises(OrderLogError) as exc:
        read_orders(secret)
    assert "s3cr3t" not in str(exc.value) and "characters>" in str(exc.value)
    problems = _load_text(
        tmp_path, f"acquisition: {{known_customers: {{enabled: true, file: {secret}}}}}\n"
    )
    assert "s3cr3t" not in " ".join(problems) and "join_date" in " ".join(problems)


def test_an_experiment_run_longer_than_the_scenario_is_checked_up_front(tmp_path):
    from lab.experiments.design import DesignError

    sc = lab.scenario_from_dict({"days": 20, "acquisition": {"stock_import": {
        "customers_per_day": 200_000, "total_customers": 100_000_000}}})  # fmt: skip
    with pytest.raises(DesignError, match=r"--days 3650: .*max_customers"):
        lab.sweep(sc, grid={"seed": [1, 2]}, seeds=1, days=3650, out=tmp_path / "sw")
    assert not (tmp_path / "sw").exists()
