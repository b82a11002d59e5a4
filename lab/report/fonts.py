"""Embed the glyphs a page uses, so Chinese shows on machines without a CJK font.

The font is the lab's packaged Noto Sans CJK (SIL Open Font License 1.1; the
``noto-cjk-sans-otc`` package, registered for plots by :mod:`lab.plots._style`).
It is an OpenType collection; the Simplified Chinese face is picked out of it and
subset with ``fontTools.subset`` to exactly the characters of the page, then
embedded as a base64 ``@font-face`` (WOFF2 when ``brotli`` is installed, else
WOFF).  A report's subset is typically 30–120 kB, against 19 MB for the file.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FONT_FAMILY", "SC_FACE", "EmbeddedFont", "cjk_collection_path", "subset_font"]

#: CSS family name of the embedded subset
FONT_FAMILY = "LabNotoSansCJK"
#: the face of the collection used for Chinese
SC_FACE = "Noto Sans CJK SC"


@dataclass(frozen=True)
class EmbeddedFont:
    """A subset font ready for CSS: ``src`` is a ``data:`` URL."""

    family: str
    src: str
    format: str
    size_bytes: int
    characters: int
    unicode_range: str | None = None


def cjk_collection_path() -> Path:
    """Path of the packaged Noto Sans CJK collection (the file the plots register)."""
    from lab.plots._style import cjk_font_path, register_cjk_font

    register_cjk_font()
    path = cjk_font_path()
    if path is None:
        import noto_cjk_sans_otc  # raises ImportError naming the missing package

        path = str(noto_cjk_sans_otc.FONT_PATH)
    return Path(path)


def _sc_face(path: Path):
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() not in (".ttc", ".otc"):
        return TTFont(str(path), lazy=True)
    collection = TTCollection(str(path), lazy=True)
    for font in collection.fonts:
        if font["name"].getDebugName(1) == SC_FACE:
            return font
    return collection.fonts[0]


#: first code point embedded in an English page: CJK radicals and everything after
#: (CJK punctuation, ideographs, full-width forms); Latin text keeps the system fonts
CJK_START = 0x2E80


def page_characters(page: str, cjk_only: bool = False) -> str:
    """Printable characters of an HTML page (entities decoded), sorted.

    ``cjk_only`` keeps the code points from :data:`CJK_START` on.
    """
    chars = {c for c in html.unescape(page) if c.isprintable() or c == " "}
    if cjk_only:
        chars = {c for c in chars if ord(c) >= CJK_START}
    return "".join(sorted(chars))


def unicode_range(characters: str) -> str:
    """CSS ``unicode-range`` of the characters: ``U+20-7E, U+53CC``."""
    points = sorted({ord(c) for c in characters})
    spans: list[list[int]] = []
    for p in points:
        if spans and p == spans[-1][1] + 1:
            spans[-1][1] = p
        else:
            spans.append([p, p])
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in spans)


def subset_font(characters: str, with_range: bool = False) -> EmbeddedFont:
    """Subset the SC face of the packaged collection to ``characters``.

    Parameters
    ----------
    characters : str
        The characters to keep (duplicates and order do not matter).
    with_range : bool
        Give the font a CSS ``unicode-range`` of exactly these characters, so a
        browser uses it for them only, whatever its place in the font list (and
        loads it before drawing them: no fallback glyphs first).

    Returns
    -------
    EmbeddedFont
    """
    from fontTools import subset

    try:
        import brotli  # noqa: F401  (WOFF2 compression)

        flavor = "woff2"
    except ImportError:
        flavor = "woff"
    font = _sc_face(cjk_collection_path())
    options = subset.Options()
    options.flavor = flavor
    options.layout_features = ["kern", "liga", "locl", "palt", "vert", "ccmp"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # names, copyright and the OFL licence
    options.notdef_outline = True
    options.hinting = False
    sub = subset.Subsetter(options)
    sub.populate(text=characters)
    sub.subset(font)
    buf = io.BytesIO()
    font.flavor = flavor
    font.save(buf)
    data = buf.getvalue()
    src = f"data:font/{flavor};base64,{base64.b64encode(data).decode('ascii')}"
    rng = unicode_range(characters) if with_range else None
    return EmbeddedFont(FONT_FAMILY, src, flavor, len(data), len(set(characters)), rng)
