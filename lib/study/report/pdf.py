"""PDF rendering of the report's Markdown: markdown-it-py turns it into HTML, fpdf2 lays that out on A4 pages.

The PDF is made from the very Markdown written to report.md, so the two always say the same thing. Both
libraries are pure Python; the fonts are the DejaVu TrueType files matplotlib ships (arrows, dashes, minus
signs), so nothing outside `pip install -r requirements.txt` is needed and nothing is downloaded.
Tables get column widths measured from their content, code wraps at the margin, and figures span the text
width unless that would make them taller than MAX_FIGURE_MM.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from html import escape
from pathlib import Path

import matplotlib
from fpdf import FPDF, FontFace, TextStyle
from fpdf.html import HTML2FPDF
from markdown_it import MarkdownIt
from PIL import Image

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
# family: (file name stem, what the family calls its italic); the styles are "", B, I and BI
FONTS = {"serif": ("DejaVuSerif", "Italic"), "sans": ("DejaVuSans", "Oblique"), "mono": ("DejaVuSansMono", "Oblique")}
REPRODUCIBLE_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)
BODY_FONT = "serif"
MARGIN_MM = 18
BODY_PT, TABLE_PT, CODE_PT = 9.5, 8, 7.5
CELL_PADDING_MM = 0.8
MAX_FIGURE_MM = 100  # two figures and their captions fit on a page
NUMERIC_CELL = re.compile(r"^[\d\s.,%+\-−–—\[\]()<>=sMkminh/]*$")  # right-aligned when a column holds only these
TAG_STYLES = {
    "h1": TextStyle(font_family="sans", font_style="B", font_size_pt=16, color="#000000", t_margin=0, b_margin=3),
    "h2": TextStyle(font_family="sans", font_style="B", font_size_pt=12.5, color="#1f3b73", t_margin=5, b_margin=1),
    "p": TextStyle(t_margin=2),
    "li": TextStyle(l_margin=5, t_margin=1),
    "pre": TextStyle(font_family="mono", font_size_pt=CODE_PT, t_margin=2, b_margin=1),
    "code": FontFace(family="mono"),
}


class _ReportHTML(HTML2FPDF):
    """fpdf2's HTML layout, with tables set in the regular table font.

    fpdf2 starts a table in whatever font the PDF was last left in, so a table after an italic caption would be
    italic; every table therefore starts from the regular TABLE_PT font and the body size is restored after it."""

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "table":
            self._end_paragraph()  # flush the caption in its own font first
            self.font_size_pt = TABLE_PT
            self.pdf.set_font(BODY_FONT, "", TABLE_PT)
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag) -> None:
        super().handle_endtag(tag)
        if tag == "table":
            self.font_size_pt = BODY_PT
            self.pdf.set_font(BODY_FONT, "", BODY_PT)


class _ReportPDF(FPDF):
    """A4 pages with the page number in the footer."""

    HTML2FPDF_CLASS = _ReportHTML

    def footer(self) -> None:
        """Page number, centred at the bottom."""
        self.set_y(-12)
        self.set_font("sans", size=8)
        self.cell(0, 5, str(self.page_no()), align="C")


def _fit(natural: list[float], minimum: list[float], room: float) -> list[float]:
    """Column widths: the natural ones when they fit, else each shrunk towards its longest word, in proportion
    to how much it can give."""
    if sum(natural) <= room:
        return natural
    slack = sum(n - m for n, m in zip(natural, minimum))
    if sum(minimum) >= room or slack <= 0:
        return [m * room / sum(minimum) for m in minimum]
    give = (sum(natural) - room) / slack
    return [n - (n - m) * give for n, m in zip(natural, minimum)]


def _widest(pdf: FPDF, texts: list[str], style: str) -> tuple[float, float]:
    """The widths of the widest text and of the widest word among `texts`, in the table font of `style`."""
    pdf.set_font(BODY_FONT, style, TABLE_PT)
    return (max((pdf.get_string_width(t) for t in texts), default=0),
            max((pdf.get_string_width(w) for t in texts for w in t.split()), default=0))


def _size_table(tokens, start: int, pdf: FPDF) -> None:
    """Set the widths and alignment of the table opening at tokens[start] from the text of its cells."""
    columns: dict[int, list[tuple[object, str]]] = {}  # column -> [(open token, text)]
    column = 0
    for i in range(start + 1, len(tokens)):
        token = tokens[i]
        if token.type == "table_close":
            break
        if token.type == "tr_open":
            column = 0
        elif token.type in ("th_open", "td_open"):
            # the cell's Markdown source without backslash escapes, to measure it
            text = re.sub(r"\\(.)", r"\1", tokens[i + 1].content) if tokens[i + 1].type == "inline" else ""
            columns.setdefault(column, []).append((token, text))
            column += 1
    pad = 2 * CELL_PADDING_MM + 1
    natural, minimum = [], []
    for cells in columns.values():
        header, body = cells[0][1], [text for _, text in cells[1:]]
        header_full, header_word = _widest(pdf, [header], "B")
        body_full, body_word = _widest(pdf, body, "")
        natural.append(max(body_full, header_full) + pad)
        minimum.append(max(body_word, header_word) + pad)
        numeric = all(NUMERIC_CELL.match(t) for t in body)
        for token, _ in cells:
            token.attrSet("align", "right" if numeric else "left")
    widths = _fit(natural, minimum, pdf.epw)
    for index, cells in columns.items():
        cells[0][0].attrSet("width", f"{widths[index]:.2f}")
    tokens[start].attrSet("width", f"{min(100.0, 100 * sum(widths) / pdf.epw):.1f}%")
    tokens[start].attrSet("cellpadding", str(CELL_PADDING_MM))


def _image_rule(base: Path, pdf: FPDF):
    """A markdown-it render rule for images: an <img> sized to the text width (or MAX_FIGURE_MM tall), or a
    note where the file is missing."""

    def render(self, tokens, idx, options, env) -> str:
        path = (base / tokens[idx].attrGet("src")).resolve()
        try:
            with Image.open(path) as image:
                aspect = image.height / image.width
        except OSError:
            return f"<i>(figure missing: {escape(str(path))})</i>"
        width = min(pdf.epw, MAX_FIGURE_MM / aspect)
        # fpdf2 reads <img> width and height in points.
        return (f'<img src="{escape(str(path))}" width="{width * pdf.k:.1f}" '
                f'height="{width * aspect * pdf.k:.1f}">')

    return render


def markdown_to_html(markdown_text: str, base: Path, pdf: FPDF) -> str:
    """HTML for fpdf2: GitHub-style tables with measured columns, images resolved against `base` and sized."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.add_render_rule("image", _image_rule(base, pdf))
    tokens = md.parse(markdown_text)
    for index, token in enumerate(tokens):
        if token.type == "table_open":
            _size_table(tokens, index, pdf)
    return md.renderer.render(tokens, md.options, {})


def new_pdf(title: str = "") -> FPDF:
    """An empty A4 report PDF with its margins and fonts, on its first page."""
    pdf = _ReportPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creation_date(REPRODUCIBLE_DATE)  # not the clock: the same report gives the same bytes
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, margin=MARGIN_MM)
    for family, (stem, italic) in FONTS.items():
        for style, suffix in {"": "", "B": "-Bold", "I": f"-{italic}", "BI": f"-Bold{italic}"}.items():
            pdf.add_font(family, style, str(FONT_DIR / f"{stem}{suffix}.ttf"))
    pdf.set_fallback_fonts(["sans"])  # DejaVu Serif lacks a few symbols (⏎) that DejaVu Sans has
    pdf.add_page()
    return pdf


def to_pdf(markdown_text: str, base: Path, pdf_path: Path, title: str) -> int:
    """Write the Markdown (figure links relative to `base`) as an A4 PDF; returns the number of pages."""
    pdf = new_pdf(title)
    html = markdown_to_html(markdown_text, Path(base), pdf)
    pdf.set_font(BODY_FONT, size=BODY_PT)
    # fpdf2 logs every HTML attribute it ignores (e.g. code classes); the layout does not depend on them.
    logger = logging.getLogger("fpdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        pdf.write_html(html, font_family=BODY_FONT, tag_styles=TAG_STYLES, table_line_separators=True)
    finally:
        logger.setLevel(level)
    pdf.output(str(pdf_path))
    return pdf.pages_count
