"""The forecast report in a real browser: headless Chromium (Debian's ``chromium``).

Checks that the page renders (screenshot not blank), logs no console error, loads
nothing from the network, shows user text as text, and draws Chinese with real
glyphs from the embedded font, on a machine that has no CJK font of its own; that
the summary never scrolls sideways on a desktop (1280 px) or a phone (390 px); and
that ``--pdf`` prints pages that are not blank (rendered to PNG with pypdfium2).

Without Chromium or playwright these tests skip, saying why; with the environment
variable ``LAB_REQUIRE_BROWSER=1`` (set by ``.ci/run``) they fail instead.  Set
``LAB_CHROMIUM`` to use another Chromium binary.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from browser_helpers import chromium, launched_browser, unavailable
from report_helpers import EVIL, shared_reports

from lab.report.fonts import FONT_FAMILY, SC_FACE


@pytest.fixture(scope="module")
def browser():
    yield from launched_browser()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The two-scenario report (the second named EVIL) in English and Chinese."""
    return shared_reports(tmp_path_factory)


def _open(browser, path: Path, width: int = 1200):
    """Open a report; collect console errors, page errors, dialogs and network requests."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    seen = {"errors": [], "dialogs": [], "requests": []}
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))

    def route(r):
        if r.request.url != path.as_uri():
            seen["requests"].append(r.request.url)
            return r.abort()
        return r.continue_()

    page.route("**/*", route)
    page.goto(path.as_uri(), wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    return page, seen


def _platform_fonts(page, selector: str) -> list[dict]:
    """Fonts Chromium actually used to draw a node's text (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, selector
    return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_renders_without_errors(browser, pages, lang, tmp_path):
    from PIL import Image

    page, seen = _open(browser, pages[lang])
    try:
        shot = page.screenshot(full_page=False)
        img = Image.open(io.BytesIO(shot)).convert("RGB")
        colours = img.getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 50, "screenshot is (nearly) one colour"
        assert max(n for n, _ in colours) < 0.97 * img.width * img.height
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height > 3000  # summary, tables, charts and assumptions are laid out
        images = page.evaluate(
            "[...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
        )
        assert len(images) >= 5 and all(ok and w > 100 and h > 100 for ok, w, h in images)
        # user text shows as text and runs nothing
        assert EVIL in page.inner_text("#title")
        assert page.evaluate("document.scripts.length") == 0
        assert seen["dialogs"] == []
        assert seen["errors"] == [], seen["errors"]
        assert seen["requests"] == [], seen["requests"]
    finally:
        page.close()


_GLYPH_CHECK = """
async ([family, chars]) => {
  const loaded = await document.fonts.load(`40px ${family}`, chars.join(''));
  const draw = (ch, font) => {
    const c = document.createElement('canvas');
    c.width = 56; c.height = 56;
    const g = c.getContext('2d');
    g.fillStyle = '#fff'; g.fillRect(0, 0, 56, 56);
    g.fillStyle = '#000'; g.font = font; g.textBaseline = 'top';
    g.fillText(ch, 4, 4);
    const px = g.getImageData(0, 0, 56, 56).data;
    let ink = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] < 128) ink++;
    return [c.toDataURL(), ink];
  };
  const own = chars.map(ch => draw(ch, `40px ${family}`));
  const tofu = draw('\\uE000', `40px ${family}`)[0];   // not in the font: its box
  return {
    faces: [...document.fonts].map(f => [f.family, f.status]),
    loaded: loaded.length,
    check: document.fonts.check(`40px ${family}`, chars.join('')),
    own: own.map(([url, ink]) => ({url, ink})),
    tofu,
  };
}
"""


def test_chinese_report_shows_chinese_glyphs(browser, pages):
    page, seen = _open(browser, pages["zh"])
    try:
        summary = page.inner_text("#summary")
        chars = sorted({c for c in summary if "\u4e00" <= c <= "\u9fff"})[:12]
        assert len(chars) >= 10, summary  # the summary is in Chinese
        r = page.evaluate(_GLYPH_CHECK, [FONT_FAMILY, chars])
        # 1. the embedded face is loaded and covers the text
        assert [FONT_FAMILY, "loaded"] in r["faces"] and r["loaded"] >= 1 and r["check"]
        # 2. every character draws a real glyph: ink, all different, none the missing-glyph box
        urls = [g["url"] for g in r["own"]]
        assert all(g["ink"] > 20 for g in r["own"])
        assert len(set(urls)) == len(urls), "characters render alike (tofu)"
        assert r["tofu"] not in urls
        # 3. the page's own text is drawn with the embedded font, not a fallback
        for selector in ("#title", "#summary li", "#monthly h3 + div th"):
            used = _platform_fonts(page, selector)
            assert used, selector
            assert all(f["isCustomFont"] and f["familyName"] == SC_FACE for f in used), used
        assert seen["errors"] == []
    finally:
        page.close()


def test_english_report_draws_its_chinese_with_the_embedded_font(browser, pages):
    page, _ = _open(browser, pages["en"])
    try:
        # the baseline's big sale is called 双11: its cell falls back to the embedded face
        page.evaluate(
            "() => { for (const td of document.querySelectorAll('#assumptions td'))"
            " if (td.textContent.trim() === '双11') { td.id = 'probe'; break; } }"
        )
        used = _platform_fonts(page, "#probe")
        cjk = [f for f in used if f["isCustomFont"]]
        assert cjk and cjk[0]["familyName"] == SC_FACE and cjk[0]["glyphCount"] == 1, used
        latin = _platform_fonts(page, "#title")
        assert not any(f["isCustomFont"] for f in latin)  # English keeps the system font
    finally:
        page.close()


def _has_ink(img, pixels: int = 300) -> None:
    """A printed page is not blank: some hundreds of inked pixels (text, lines, charts)."""
    grey = img.convert("L")
    ink = sum(grey.histogram()[:240])  # the muted provenance text is light grey
    assert ink >= pixels, f"page nearly blank: {ink} inked pixels"


def _not_blank(img) -> None:
    colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50, "image is (nearly) one colour"
    assert max(n for n, _ in colours) < 0.97 * img.width * img.height


_FITS = """
() => {
  const s = document.querySelector('#summary');
  const r = s.getBoundingClientRect();
  return {page: [document.documentElement.scrollWidth, window.innerWidth],
          summary: [s.scrollWidth, s.clientWidth, r.left, r.right]};
}
"""


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_summary_fits_desktop_and_phone(browser, pages, lang, width):
    from PIL import Image

    page, seen = _open(browser, pages[lang], width)
    try:
        fit = page.evaluate(_FITS)
        page_w, inner = fit["page"]
        assert page_w <= inner, fit  # the page never scrolls sideways
        scroll_w, client_w, left, right = fit["summary"]
        assert scroll_w <= client_w and left >= 0 and right <= inner, fit
        lead = page.inner_text("#summary .lead")
        assert ("The answer:" if lang == "en" else "结论：") in lead
        _not_blank(Image.open(io.BytesIO(page.locator("#summary").screenshot())))
        if lang == "zh":  # Chinese drawn with the embedded face at this width too
            used = _platform_fonts(page, "#summary .lead p")
            assert used and all(f["isCustomFont"] and f["familyName"] == SC_FACE for f in used)
        assert seen["errors"] == [] and seen["requests"] == []
    finally:
        page.close()


def test_report_pdf_pages_render_with_chinese(browser, pages, tmp_path, monkeypatch):
    """``lab report --pdf``: html, xlsx and pdf together; the PDF's pages rendered to PNG
    are not blank and carry the Chinese text; a PDF the lab did not write is never replaced.
    """
    try:
        import pypdfium2 as pdfium
    except ImportError:
        unavailable("pypdfium2 is not installed (pip install -e '.[dev]')")
    from typer.testing import CliRunner

    from lab.cli import app
    from lab.report.pdf import PDF_STAMP, lab_wrote_pdf

    monkeypatch.setenv("LAB_CHROMIUM", chromium())
    out = tmp_path / "r.html"
    argv = ["report", str(pages["a"]), "--seeds", "1", "--days", "15", "--lang", "zh"]
    res = CliRunner().invoke(app, [*argv, "--out", str(out), "--pdf", "--workers", "1", "-q"])
    assert res.exit_code == 0, res.output
    assert out.with_suffix(".xlsx").is_file() and lab_wrote_pdf(out.with_suffix(".pdf"))
    data = out.with_suffix(".pdf").read_bytes()
    assert data.startswith(b"%PDF-") and data.endswith(PDF_STAMP)
    pdf = pdfium.PdfDocument(data)
    try:
        assert len(pdf) >= 3  # summary, tables, charts and the appendix do not fit on one
        first = pdf[0]
        text = first.get_textpage().get_text_range()
        assert "执行摘要" in text and "私域流量池" in text
        _not_blank(first.render(scale=0.5).to_pil())  # the first screen: text and colour
        for i in range(len(pdf)):
            page = pdf[i]
            _has_ink(page.render(scale=0.5).to_pil())
            page.close()
        first.close()
    finally:
        pdf.close()
    stranger = tmp_path / "s.pdf"
    stranger.write_bytes(b"%PDF-1.4 not the lab's")
    res = CliRunner().invoke(app, [*argv, "--out", str(tmp_path / "s.html"), "--pdf", "-q"])
    assert res.exit_code == 2 and "not written by the lab" in res.output, res.output
    assert stranger.read_bytes() == b"%PDF-1.4 not the lab's"
    assert not (tmp_path / "s.html").exists()
