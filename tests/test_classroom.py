"""The classroom app: the stored year, its pictures, the command, and the page in Chromium.

The year and the pictures need no Solara and are tested directly.  The page test
starts ``lab classroom``'s server on a free port, opens it in headless Chromium
(Debian's ``chromium``), moves a lever, steps and plays through the year and checks
that the numbers change, that the screenshot is not blank, that the embedded CJK
font is used, and that nothing is loaded from outside the machine.  Without
Solara, Chromium or playwright it skips, saying why; with ``LAB_REQUIRE_BROWSER=1``
(set by ``.ci/run``) it fails instead.
"""

from __future__ import annotations

import importlib.util
import io
import subprocess
import time
import urllib.request
import warnings

import numpy as np
import pytest
from browser_helpers import launched_browser, unavailable
from typer.testing import CliRunner

from lab.classroom.figures import draw_cascade, draw_stages, month_ticks
from lab.classroom.server import ClassroomSettings, free_port, server_command, server_env
from lab.classroom.year import SNAPSHOT_KEYS, cascade_layout, simulate_year, snapshot
from lab.explorer import ClassroomPool, ExplorerParams
from lab.vocab import STAGES

#: a short year with a generous referral reward: enough invitations to draw trees
POOL = ClassroomPool(days=90, seed=5, n_seeds=1)
PARAMS = ExplorerParams(referral_reward_cny=60.0)


@pytest.fixture(scope="module")
def year():
    return simulate_year(PARAMS, POOL)


def test_year_keeps_the_daily_stages_and_running_totals(year):
    d = year.daily
    assert year.days == POOL.days == len(d)
    assert (d[list(STAGES)] >= 0).all().all()
    # running totals never fall; the pool only grows (blocked customers stay counted)
    for col in ("cum_gmv", "cum_referred", "blocked_total", "customers"):
        assert (np.diff(d[col]) >= 0).all(), col
    assert d["cum_referred"].iloc[-1] == len(year.invites)
    assert year.date(31).isoformat() == "2026-02-01"


def test_same_seed_same_year_and_cached(year):
    assert simulate_year(PARAMS, POOL) is year
    again = simulate_year.__wrapped__(PARAMS, POOL)
    assert again.daily.equals(year.daily) and again.invites.equals(year.invites)


def test_snapshot_is_the_row_of_that_day_and_clips(year):
    s = snapshot(year, 30)
    assert s["day"] == 30 and s["customers"] == year.daily["customers"].iloc[30]
    assert set(SNAPSHOT_KEYS) | set(STAGES) <= set(s)
    assert snapshot(year, 10_000)["day"] == year.days - 1
    assert snapshot(year, -5)["day"] == 0


def test_cascade_grows_with_the_day_and_links_to_shown_inviters(year):
    assert len(year.invites) > 10, "the fixture needs referrals to test the cascade"
    sizes = [len(cascade_layout(year, day)) for day in (0, 30, 60, 89)]
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]
    nodes = cascade_layout(year, 89)
    shown = set(nodes["customer"])
    assert set(nodes.loc[nodes["parent"] >= 0, "parent"]) <= shown
    assert (nodes.loc[nodes["parent"] < 0, "depth"] == 0).all()
    # an invitee joins on or after the day of their inviter
    x = nodes.set_index("customer")["x"]
    linked = nodes[nodes["parent"] >= 0]
    assert (linked["x"].to_numpy() >= x.loc[linked["parent"]].to_numpy()).all()
    assert nodes["root"].nunique() <= 8
    # the trees drawn are the largest ones
    sizes_by_root = year.invites["root"].value_counts()
    left_out = sizes_by_root.drop(nodes["root"].unique())
    if len(left_out):
        assert sizes_by_root.loc[nodes["root"].unique()].min() >= left_out.max()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pictures_draw_every_glyph(year, lang):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing CJK glyph is a warning
        for fig in (draw_stages(year, 45, lang), draw_cascade(year, 45, lang)):
            fig.savefig(io.BytesIO(), format="png")
    stages = draw_stages(year, 45, lang)
    ax = stages.axes[0]
    assert len(ax.collections) == len(STAGES)
    # only the days up to the one shown are drawn
    xs = ax.collections[0].get_paths()[0].vertices[:, 0]
    assert xs.max() == pytest.approx(45)
    days, names = month_ticks(year, lang)
    assert days[:2] == [0, 31] and (names[1] == "Feb" if lang == "en" else names[1] == "2月")


def test_settings_are_checked_and_passed_to_the_server():
    with pytest.raises(ValueError, match="lang"):
        ClassroomSettings(lang="fr")
    with pytest.raises(ValueError, match="days"):
        ClassroomSettings(days=5)
    s = ClassroomSettings(port=8123, lang="zh", days=60)
    cmd = server_command(s)
    assert cmd[cmd.index("--port") + 1] == "8123" and "--production" in cmd
    assert "--no-open" in cmd and "--no-check-version" in cmd
    env = server_env(s, base={})
    assert env["LAB_CLASSROOM_LANG"] == "zh" and env["LAB_CLASSROOM_DAYS"] == "60"
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"


def test_command_names_a_bad_option():
    from lab.cli import app

    out = CliRunner().invoke(app, ["classroom", "--lang", "fr", "--no-open"])
    assert out.exit_code == 2
    assert "lang" in out.output and "Traceback" not in out.output


# ------------------------------------------------------------------------- browser


def _wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 180.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the classroom server stopped with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"the classroom server did not answer at {url}")


@pytest.fixture(scope="module")
def server():
    if importlib.util.find_spec("solara") is None:
        unavailable("Solara is not installed (pip install -e '.[classroom]')")
    from lab.classroom.server import start

    settings = ClassroomSettings(port=free_port(), lang="zh", days=60, frame_seconds=0.1)
    proc = start(settings, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until_up(settings.url, proc)
        yield settings
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    yield from launched_browser()


def _number(page, key: str) -> str:
    return page.inner_text(f".lab-day td[data-key={key}]")


def _changes(page, key: str, before: str, timeout: float = 60.0) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        now = _number(page, key)
        if now != before:
            return now
        page.wait_for_timeout(100)
    raise AssertionError(f"{key} stayed at {before!r}")


def test_page_moves_a_lever_steps_and_plays(server, browser):
    from PIL import Image

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    seen = {"errors": [], "outside": []}
    origin = server.url.rstrip("/")
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("response", lambda r: r.status >= 400 and seen["errors"].append(f"{r.status} {r.url}"))
    page.on(
        "request",
        lambda r: (
            r.url.startswith(("http:", "https:", "ws:", "wss:"))
            and not r.url.replace("ws://", "http://").startswith(origin)
            and seen["outside"].append(r.url)
        ),
    )
    try:
        page.goto(server.url)
        page.wait_for_selector(".lab-day td[data-key=customers]", timeout=120_000)
        assert _number(page, "date") == "2026-01-01"
        # step a week forward: the date and the pool move
        page.click(".lab-step")
        assert _changes(page, "date", "2026-01-01") == "2026-01-08"
        # the day slider to the end of the run
        day_slider = page.locator(".lab-classroom [role=slider]").last
        day_slider.focus()
        day_slider.press("End")
        assert _changes(page, "date", "2026-01-08") == "2026-03-01"
        blocked = _number(page, "blocked_total")
        # a lever: group messages per week to the maximum -> more customers block
        messages = page.locator(".lab-classroom [role=slider]").nth(2)
        messages.focus()
        messages.press("End")
        assert messages.get_attribute("aria-valuenow") == "35"
        # the label shows the value (once the server has the move)
        page.locator(".lab-lever", has_text="每周社群消息 · 35").wait_for(timeout=60_000)
        flooded = _changes(page, "blocked_total", blocked)
        assert int(flooded.replace(",", "")) > int(blocked.replace(",", ""))
        # play from the start: the day advances by itself
        page.get_by_text("从头开始").click()
        _changes(page, "date", "2026-03-01")
        page.click(".lab-play")
        start = _number(page, "date")
        played = _changes(page, "date", start)
        assert played > start
        page.click(".lab-play")  # pause
        png = page.screenshot(full_page=True)
        fonts = page.evaluate(
            "() => [...document.fonts].filter(f => f.family.includes('LabNotoSansCJK'))"
            ".map(f => f.status)"
        )
    finally:
        page.close()
    image = Image.open(io.BytesIO(png)).convert("L")
    lo, hi = image.getextrema()
    shades = sum(1 for n in image.histogram() if n)
    assert hi - lo > 100 and shades > 20, "the screenshot is blank"
    assert "loaded" in fonts, fonts  # Chinese drawn with the embedded font
    assert not seen["outside"], seen["outside"]
    assert not seen["errors"], seen["errors"]
