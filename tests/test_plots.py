"""Every plot renders with Agg in English and Chinese; Chinese uses the packaged CJK font."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

import lab
from lab import analysis as A
from lab import plots as P
from lab.experiments import compare
from lab.i18n import LABELS, label


@pytest.fixture(scope="module")
def run():
    return lab.run("scenarios/baseline.yaml", days=150, seed=2)


@pytest.fixture(scope="module")
def comparison():
    base = lab.load_scenario("scenarios/baseline.yaml")
    deeper = base.with_changes({"name": "深度折扣", "strategies[0].depth": 0.3})
    return compare(
        {"baseline": base, "深度折扣": deeper}, seeds=[1, 2, 3], days=40, workers=1, progress=False
    )


PLOTS = {
    "kpi_bands": lambda r, c, lang: P.plot_kpi(c, "cum_gmv", lang=lang),
    "kpi_run": lambda r, c, lang: P.plot_kpi(r, "net_margin", lang=lang),
    "cohort_retention": lambda r, c, lang: P.plot_cohort_retention(
        A.cohort_retention(r), lang=lang
    ),
    "survival": lambda r, c, lang: P.plot_survival(A.survival_curves(r, by="channel"), lang=lang),
    "ltv": lambda r, c, lang: P.plot_ltv_distribution(
        A.customer_ltv(r, 60), lang=lang, by="channel"
    ),
    "fatigue": lambda r, c, lang: P.plot_fatigue(r, lang=lang),
    "funnel": lambda r, c, lang: P.plot_funnel(A.funnel(r), lang=lang),
    "rfm": lambda r, c, lang: P.plot_rfm_grid(A.rfm_class_sizes(r, every_days=30), lang=lang),
    "forest": lambda r, c, lang: P.plot_forest(c, lang=lang),
}


def _render(ax, tmp_path, name):
    path = tmp_path / f"{name}.png"
    ax.figure.savefig(path)
    plt.close(ax.figure)
    assert path.stat().st_size > 5_000
    return path


@pytest.mark.parametrize("name", sorted(PLOTS))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_plot_renders_without_missing_glyphs(name, lang, run, comparison, tmp_path):
    with warnings.catch_warnings():
        # matplotlib warns "Glyph N (...) missing from font(s) ..." when it draws a box
        warnings.filterwarnings("error", message=".*missing from font.*")
        ax = PLOTS[name](run, comparison, lang)
        assert isinstance(ax, matplotlib.axes.Axes)
        texts = [t.get_text() for t in ax.figure.findobj(matplotlib.text.Text)]
        assert ax.get_title(loc="left")  # every plot has a title (house style: left)
        if lang == "zh":
            assert any("\u4e00" <= ch <= "\u9fff" for t in texts for ch in t), texts
        _render(ax, tmp_path, f"{name}_{lang}")


def test_cjk_font_is_the_packaged_one_and_covers_every_label():
    path = P.cjk_font_path()
    assert path is not None and "noto_cjk_sans_otc" in path
    found = font_manager.findfont(
        font_manager.FontProperties(family=P.house_rc("zh")["font.family"][0]),
        fallback_to_default=False,
    )
    assert str(found) == path
    face = FT2Font(path)
    cmap = face.get_charmap()
    chinese = {ch for en, zh in LABELS.values() for ch in zh if ord(ch) > 0x2E80}
    missing = sorted(ch for ch in chinese if ord(ch) not in cmap)
    assert not missing, missing


def test_missing_glyph_detection_works():
    # the negative control: the same Chinese text in a font without CJK does warn
    fig, ax = plt.subplots()
    ax.set_title(label("title_retention", "zh"), family="DejaVu Sans")
    with pytest.warns(UserWarning, match="missing from font"):
        fig.savefig(__import__("io").BytesIO(), format="png")
    plt.close(fig)


def test_use_cjk_font_makes_chinese_draw_in_figures_outside_the_lab():
    # a user's own figure with matplotlib's default rc: before use_cjk_font() 双十一
    # draws as boxes (the negative control), after it without a missing-glyph warning
    from matplotlib.figure import Figure

    def draw() -> list[str]:
        fig = Figure()
        fig.add_subplot().set_title("双十一 GMV")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(__import__("io").BytesIO(), format="png")
        return [str(w.message) for w in caught if "missing from font" in str(w.message)]

    with matplotlib.rc_context(matplotlib.rcParamsDefault):  # restores the global rc
        assert draw(), "the default rc should lack the CJK glyphs (negative control)"
        name = P.use_cjk_font()
        assert P.use_cjk_font() == name  # idempotent: the face is listed once
        family = matplotlib.rcParams["font.family"]
        assert family == ["sans-serif", name]  # Latin keeps its font, CJK is the fallback
        assert draw() == []


def test_unknown_language_is_an_error(run):
    with pytest.raises(ValueError, match="lang must be one of en, zh"):
        P.plot_funnel(A.funnel(run), lang="fr")


def test_plot_on_axes_made_by_the_caller_still_gets_the_cjk_font(run):
    # an Axes created outside the plot function (here without pyplot) has its title,
    # labels and ticks already made with the default font; the plot must fix them
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")
        P.plot_fatigue(run, ax=ax, lang="zh")
        fig.savefig(__import__("io").BytesIO(), format="png")


def test_money_axes_read_without_offsets():
    from matplotlib.figure import Figure

    import lab
    from lab import plots

    res = lab.run("scenarios/baseline.yaml", days=120, seed=1)
    for lang, units in (("en", "kM"), ("zh", "万")):  # ~0.5M CNY over 120 days
        ax = Figure().add_subplot()
        plots.plot_kpi(res, "cum_gmv", ax=ax, lang=lang)
        ax.figure.canvas.draw()
        ticks = [t.get_text() for t in ax.get_yticklabels()]
        shown = {t[-1] for t in ticks if t}
        assert len(shown) == 1 and shown <= set(units), ticks  # one unit on the whole axis
        assert not any("e+" in t for t in ticks), ticks
        assert ax.yaxis.get_offset_text().get_text() == ""
