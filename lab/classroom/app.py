"""The classroom app (Solara): levers, a year played day by day, stages and referrals.

Served by ``lab classroom`` (:mod:`lab.classroom.server`); a teacher opens it in a
browser, no Jupyter needed.  The page has the explorer's levers on the left and,
on the right, the play controls (play / pause, one step of a day or a week, a day
slider), the numbers of the day shown, the pool by lifecycle stage day by day, and
the referral cascade (who invited whom).  Moving a lever reruns the year in a
background thread (about a second for the classroom pool); playing only redraws
the stored run (:mod:`lab.classroom.year`).

Settings come from the environment (set by the command): ``LAB_CLASSROOM_LANG``
(``en`` or ``zh``), ``LAB_CLASSROOM_SCALE``, ``LAB_CLASSROOM_DAYS``,
``LAB_CLASSROOM_SEED`` and ``LAB_CLASSROOM_FRAME`` (seconds between frames).
Each browser tab has its own state (Solara's reactive variables live per
connection).
"""

from __future__ import annotations

import html
import os
import threading

import solara

from lab.classroom.figures import draw_cascade, draw_stages
from lab.classroom.year import SNAPSHOT_KEYS, Year, simulate_year, snapshot
from lab.explorer import SLIDERS, ClassroomPool, ExplorerParams, cjk_font_css, xlabel
from lab.i18n import check_lang, label
from lab.vocab import STAGES

LANG = check_lang(os.environ.get("LAB_CLASSROOM_LANG", "en"))
POOL = ClassroomPool(
    scale=float(os.environ.get("LAB_CLASSROOM_SCALE", "0.2")),
    days=int(os.environ.get("LAB_CLASSROOM_DAYS", "365")),
    seed=int(os.environ.get("LAB_CLASSROOM_SEED", "7")),
    n_seeds=1,
)
FRAME_SECONDS = float(os.environ.get("LAB_CLASSROOM_FRAME", "0.35"))

#: levers in the order shown
LEVERS: tuple[str, ...] = (
    "discount_depth",
    "discount_every_days",
    "messages_per_week",
    "membership",
    "membership_fee_cny",
    "referral_reward_cny",
)

TEXT: dict[str, tuple[str, str]] = {
    "title": ("Private traffic pool: a year in class", "私域流量池: 课堂上的一年"),
    "intro": (
        "Move a lever, then press play: the pool fills up day by day. "
        "Colours are lifecycle stages; the lower picture shows who invited whom.",
        "移动杠杆, 然后按播放: 用户池一天天地变化。颜色表示生命周期阶段; 下图显示谁邀请了谁。",
    ),
    "levers": ("Levers", "运营杠杆"),
    "play": ("Play", "播放"),
    "pause": ("Pause", "暂停"),
    "step": ("Step", "前进"),
    "back": ("Back", "后退"),
    "restart": ("Restart", "从头开始"),
    "reset": ("Reset levers", "重置杠杆"),
    "by_day": ("by day", "按天"),
    "by_week": ("by week", "按周"),
    "day": ("Day", "第几天"),
    "simulating": ("simulating the year…", "正在模拟这一年…"),
    "cum_gmv": ("GMV so far", "累计成交总额"),
    "cum_net_margin": ("net margin so far", "累计净利"),
    "cum_referred": ("joined by referral so far", "累计裂变新增"),
    "customers": ("customers in pool", "私域用户数"),
    "active": ("active", "活跃期"),
    "blocked_total": ("blocked / deleted", "累计拉黑/删除"),
    "date": ("date", "日期"),
    "yuan": ("CNY", "元"),
}


def t(key: str) -> str:
    """The app's text ``key`` in the app's language."""
    return TEXT[key][0 if LANG == "en" else 1]


def all_text() -> str:
    """Every text the page can show (the embedded font's subset)."""
    own = " ".join(pair[1] for pair in TEXT.values())
    levers = " ".join(xlabel(k, "zh") for k in LEVERS)
    stages = " ".join(label(s, "zh") for s in STAGES)
    return f"{own} {levers} {stages} 0123456789"


def _page_css() -> str:
    css = [
        ".lab-classroom .v-slider{width:100%}",
        ".lab-numbers td{padding:2px 10px 2px 0}",
        ".lab-lever{display:block;margin-top:10px;font-size:95%}",
        ".lab-numbers td.v{text-align:right;font-variant-numeric:tabular-nums;font-weight:600}",
    ]
    if LANG == "zh":
        css.insert(0, cjk_font_css(all_text(), ".lab-classroom", important=True))
    return "\n".join(css)


CSS = _page_css()

# ---------------------------------------------------------------- state (per browser tab)
lever_values = {name: solara.reactive(getattr(ExplorerParams(), name)) for name in LEVERS}
day = solara.reactive(0)
playing = solara.reactive(False)
step_unit = solara.reactive("week")  # "day" or "week": what Step and Play advance by


def stride() -> int:
    """Days one step advances."""
    return 1 if step_unit.value == "day" else 7


def current_params() -> ExplorerParams:
    """The settings the levers show now."""
    values = {k: v.value for k, v in lever_values.items()}
    values["discount_every_days"] = int(values["discount_every_days"])
    values["messages_per_week"] = int(values["messages_per_week"])
    return ExplorerParams(**values)


def advance(steps: int) -> None:
    """Move the day shown by ``steps`` (clipped to the year); stop playing at the end."""
    last = POOL.days - 1
    nxt = min(max(day.value + steps, 0), last)
    day.value = nxt
    if nxt >= last:
        playing.value = False


def _play(cancel: threading.Event) -> None:
    while playing.value and not cancel.wait(FRAME_SECONDS):
        advance(stride())


def numbers_html(year: Year, shown_day: int) -> str:
    """The numbers of the day shown, as a small table (one ``data-key`` per cell)."""
    snap = snapshot(year, shown_day)
    rows = [(t("date"), f"{year.date(snap['day']):%Y-%m-%d}", "date")]
    money = {"cum_gmv", "cum_net_margin"}
    for key in SNAPSHOT_KEYS:
        unit = f" {t('yuan')}" if key in money else ""
        rows.append((t(key), f"{snap[key]:,.0f}{unit}", key))
    cells = "".join(
        f"<tr><td>{html.escape(name)}</td><td class='v' data-key='{key}'>{html.escape(value)}</td></tr>"
        for name, value, key in rows
    )
    return f"<table class='lab-numbers'>{cells}</table>"


# ---------------------------------------------------------------------------- views
def lever_text(name: str, value) -> str:
    """A lever's label with its value: ``discount depth · 20%``."""
    spec = SLIDERS.get(name, {})
    shown = format(value, spec["fmt"]) if "fmt" in spec else f"{value}"
    return f"{xlabel(name, LANG)} · {shown}"


@solara.component
def Levers():
    """The explorer's levers: each label above its full-width slider, and the membership switch."""
    with solara.Card(t("levers")):
        for name in LEVERS:
            if name == "membership":
                solara.Switch(label=xlabel(name, LANG), value=lever_values[name])
                continue
            spec = SLIDERS[name]
            disabled = name == "membership_fee_cny" and not lever_values["membership"].value
            solara.Text(
                lever_text(name, lever_values[name].value),
                classes=["lab-lever"],
                style={"color": "#9a9a9a" if disabled else "inherit"},
            )
            slider = solara.SliderInt if spec["kind"] == "int" else solara.SliderFloat
            slider(
                "",
                value=lever_values[name],
                min=spec["min"],
                max=spec["max"],
                step=spec["step"],
                thumb_label=False,
                disabled=disabled,
            )

        def reset() -> None:
            for name, var in lever_values.items():
                var.value = getattr(ExplorerParams(), name)

        solara.Button(t("reset"), on_click=reset, outlined=True, classes=["lab-reset"])


@solara.component
def Controls():
    """Play / pause, step back and forth by a day or a week, and the day slider."""
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Button(
            t("pause") if playing.value else t("play"),
            on_click=lambda: playing.set(not playing.value),
            color="primary",
            classes=["lab-play"],
        )
        solara.Button(t("back"), on_click=lambda: advance(-stride()), classes=["lab-back"])
        solara.Button(t("step"), on_click=lambda: advance(stride()), classes=["lab-step"])
        solara.Button(t("restart"), on_click=lambda: day.set(0), text=True)
        with solara.ToggleButtonsSingle(value=step_unit, classes=["lab-unit"]):
            solara.Button(t("by_day"), value="day")
            solara.Button(t("by_week"), value="week")
    solara.SliderInt(t("day"), value=day, min=0, max=POOL.days - 1)


@solara.component
def Page():
    """The whole app."""
    solara.Style(CSS)
    params = current_params()
    result = solara.use_thread(lambda: simulate_year(params, POOL), dependencies=[params])
    shown = solara.use_ref(None)
    if result.value is not None and result.value.params == params:
        shown.current = result.value
    solara.use_thread(_play, dependencies=[playing.value], intrusive_cancel=False)
    year: Year | None = shown.current
    failed = result.error if result.state == solara.ResultState.ERROR else None
    with solara.Column(classes=["lab-classroom"], style={"padding": "12px"}):
        solara.Title(t("title"))
        solara.HTML(tag="h2", unsafe_innerHTML=html.escape(t("title")))
        solara.Text(t("intro"))
        with solara.Columns([2, 3]):
            Levers()
            with solara.Column():
                Controls()
                busy = year is None or year.params != params
                if failed is not None:
                    solara.Error(f"{type(failed).__name__}: {failed}")
                elif busy:
                    solara.Text(t("simulating"), classes=["lab-busy"])
                if year is not None:
                    DayView(year, day.value)


@solara.component
def DayView(year: Year, shown_day: int):
    """The numbers of the day shown, the pool by stage and the referral cascade."""
    solara.HTML(tag="div", unsafe_innerHTML=numbers_html(year, shown_day), classes=["lab-day"])
    stages = solara.use_memo(lambda: draw_stages(year, shown_day, LANG), [year, shown_day])
    cascade = solara.use_memo(lambda: draw_cascade(year, shown_day, LANG), [year, shown_day])
    solara.FigureMatplotlib(stages, format="png")
    solara.FigureMatplotlib(cascade, format="png")
