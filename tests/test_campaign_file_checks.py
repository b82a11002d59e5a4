"""A planner's campaign file (``--campaigns FILE``): every mistake in it is refused with
one message naming the file, the row (the header is row 1), the field and the value,
exit code 2 and nothing written (issue 15's audit, D8).

The files are a few lines written here; the commands refuse them before they read the
order log, so the order log is a stub.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lab.calibrate.seasonality import read_campaigns
from lab.cli import app

runner = CliRunner()


def _file(tmp_path, text: str):
    path = tmp_path / "campaigns.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ("大促,2025-04-10,2025-04-12,abc", ["row 2", "lift", "'abc'", "not a number"]),
        ("大促,2025-04-10,2025-04-12,-2", ["row 2", "lift", "'-2'", "> 0"]),
        ("大促,2025-13-10,2025-04-12,", ["row 2", "start", "'2025-13-10'", "not a date"]),
        ("大促,2025-04-10,soon,", ["row 2", "end", "'soon'", "not a date"]),
        ("大促,2025-04-10,2025-04-01,", ["row 2", "end 2025-04-01 is before start"]),
        ("大促,2025-04-10,2025-04-12,inf", ["row 2", "lift", "'inf'", "finite number > 0"]),
        (",2025-04-10,2025-04-12,1.2", ["row 2", "field name: empty"]),
    ],
)
def test_a_bad_field_is_named_with_file_row_and_value(tmp_path, row, says):
    path = _file(tmp_path, f"name,start,end,lift\n春季大促,2025-03-01,2025-03-02,1.5\n{row}\n")
    with pytest.raises(ValueError) as err:
        read_campaigns(path)
    message = str(err.value).replace("row 3", "row 2")  # the bad row is the file's third line
    assert str(path) in message and "row 3" in str(err.value)
    for words in says[1:]:
        assert words in message


@pytest.mark.parametrize("command", ["forecast", "backtest", "calibrate"])
def test_the_commands_refuse_a_bad_lift_with_exit_2_and_write_nothing(tmp_path, command):
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,date,amount\na,2025-01-01,10\n", encoding="utf-8")
    camps = _file(tmp_path, "name,start,end,lift\n大促,2025-04-10,2025-04-12,abc\n")
    out = tmp_path / ("out.yaml" if command == "calibrate" else "out")
    args = [command, str(orders), "--campaigns", str(camps), "--out", str(out)]
    if command == "backtest":
        args += ["--calibration-end", "2025-01-01"]
    r = runner.invoke(app, args, env={"COLUMNS": "300"})
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert f"{camps}: row 2: field lift: 'abc' is not a number" in text
    assert "could not convert" not in text and "Traceback" not in text
    assert not out.exists()


def test_two_rows_with_one_name_are_refused_naming_both_rows(tmp_path):
    """Each row is one campaign with its own lift: two rows named 大促 would be two
    effects under one name (their lifts and intervals mixed up in every table), so the
    planner is asked to name them apart (D3)."""
    path = _file(
        tmp_path,
        "name,start,end,lift\n大促,2025-04-10,2025-04-12,\n年中庆,2025-06-01,2025-06-02,\n"
        "大促,2025-05-10,2025-05-12,\n",
    )
    with pytest.raises(ValueError) as err:
        read_campaigns(path)
    message = str(err.value)
    assert f"{path}: row 4: field name: '大促' is row 2's name too" in message
    assert "'大促 2025-05-10'" in message  # a name it could take


def test_fit_refuses_campaigns_that_share_a_name():
    from lab.calibrate.estimator import fit

    twice = [
        {"name": "大促", "start": "2025-04-10", "end": "2025-04-12"},
        {"name": "大促", "start": "2025-05-10", "end": "2025-05-12"},
    ]
    with pytest.raises(ValueError, match="row 2: field name: '大促' is row 1's name too"):
        fit("no-such-log.csv", campaigns=twice)  # refused before the log is read


@pytest.mark.parametrize("text", ["name,start,end,lift\n", "name,start,end\n\n", ""])
def test_a_file_without_a_campaign_is_refused(tmp_path, text):
    path = _file(tmp_path, text)
    with pytest.raises(ValueError, match="holds no campaign"):
        read_campaigns(path)
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,date,amount\na,2025-01-01,10\n", encoding="utf-8")
    r = runner.invoke(
        app, ["forecast", str(orders), "--campaigns", str(path), "--out", str(tmp_path / "o")]
    )
    assert r.exit_code == 2 and "holds no campaign" in r.output and not (tmp_path / "o").exists()


@pytest.mark.parametrize("horizon", ["10000Y", "200Q", "9999999M"])
def test_a_horizon_past_any_date_names_the_option_and_value(tmp_path, horizon):
    """``--horizon 10000Y`` ended the year 12025, out of pandas' range: 'year 12025 is
    out of range' named neither the option nor the value (audit D10)."""
    orders = tmp_path / "orders.csv"
    rows = [f"c{i},2025-0{1 + i % 6}-1{i % 9},10" for i in range(40)]
    orders.write_text("customer_id,date,amount\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "fc"
    r = runner.invoke(app, ["forecast", str(orders), "--horizon", horizon, "--out", str(out)])
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert f"--horizon '{horizon}': must be 1 to 3650 days" in text
    assert "out of range" not in text and not out.exists()


def test_a_gbk_campaign_file_is_read_and_utf16_is_refused_naming_the_file(tmp_path):
    """Excel on Chinese Windows saves CSV as GBK: read like the order log; a file in
    neither encoding is refused with its path and what to do, not a codec error."""
    text = "name,start,end,lift\n春季大促,2025-04-10,2025-04-12,1.5\n"
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(text.encode("gbk"))
    assert [c["name"] for c in read_campaigns(gbk)] == ["春季大促"]
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(text.encode("utf-16"))
    with pytest.raises(ValueError, match=r"utf16\.csv: the campaign file is not text in UTF-8"):
        read_campaigns(utf16)
