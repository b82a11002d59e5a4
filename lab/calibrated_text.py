"""The description ``lab calibrate`` writes into a calibrated scenario, in English and Chinese.

The scenario file holds one ``description`` (English, as ``lab calibrate`` writes it);
a report in Chinese shows the same words in Chinese (:func:`description_in`), so a
``lab report --lang zh`` of a calibrated scenario has no English sentence in it.  A
description the user wrote is shown as it is.
"""

from __future__ import annotations

import re

from lab.i18n import check_lang

__all__ = ["DESCRIPTIONS", "calibrated_description", "description_in"]

#: what the scenario runs (``lab calibrate --period``) -> (English, 中文) templates
DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "forecast": (
        "forecast from {first} of the customers of {log} (calibrated up to {end}; day 0 is "
        "that day: they join at its end with their order history)",
        "{log} 中用户自 {first} 起的预测 (标定截至 {end}；第 0 天即该日：用户在当天结束时"
        "带着历史订单加入)",
    ),
    "log": (
        "calibrated to {log} up to {end}: the log's period replayed, then the forecast from "
        "{first}",
        "按 {log} 标定至 {end}：先重演订单日志的时期，再从 {first} 起预测",
    ),
}


def calibrated_description(period: str, log: str, end, first, lang: str = "en") -> str:
    """The description of a calibrated scenario.

    Parameters
    ----------
    period : {"forecast", "log"}
        What the scenario runs (``lab calibrate --period``).
    log : str
        The order log's file name.
    end, first : date-like
        The calibration end and the first forecast day.
    lang : {"en", "zh"}
    """
    en, zh = DESCRIPTIONS[period]
    template = zh if check_lang(lang) == "zh" else en
    return template.format(log=log, end=end, first=first)


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    return re.compile(regex + r"\Z", re.S)


def description_in(text: str, lang: str = "en") -> str:
    """``text`` in ``lang``: a description ``lab calibrate`` wrote, in Chinese for ``zh``;
    any other text (the user's own words) unchanged."""
    if check_lang(lang) != "zh" or not text:
        return text
    for en, zh in DESCRIPTIONS.values():
        m = _pattern(en).match(text)
        if m:
            return zh.format(**m.groupdict())
    return text
