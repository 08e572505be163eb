"""PDF rendering of the report's blocks: matplotlib pages, no LaTeX."""
from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from lib.study.report.document import Block  # noqa: E402

PAGE = (8.27, 11.69)   # A4 portrait, inches
MARGIN_X, TOP, BOTTOM = 0.07, 0.95, 0.05
STYLES = {"title": (15, "sans-serif", "bold"), "h2": (12, "sans-serif", "bold"),
          "p": (8.5, "sans-serif", "normal"), "mono": (7, "monospace", "normal")}
WRAP = {"p": 105, "mono": 118}  # characters per line at those sizes on A4 within the margins


def _pdf_lines(title: str, sections) -> list[tuple[str, str] | tuple[str, Block]]:
    """The report as (style, text) lines and ('figure', block) entries."""
    out = [("title", title), ("p", "")]
    for heading, blocks in sections:
        out += [("h2", heading), ("p", "")]
        for block in blocks:
            if block.kind == "p":
                out += [("p", line) for line in textwrap.wrap(block.text, WRAP["p"])]
            elif block.kind == "list":
                for item in block.items:
                    wrapped = textwrap.wrap(item, WRAP["p"] - 2)
                    out += [("p", ("• " if i == 0 else "  ") + line) for i, line in enumerate(wrapped)]
            elif block.kind == "table":
                out += [("mono", line) for line in _text_table(block.header, block.items)]
            elif block.kind == "code":
                out += [("mono", line[: WRAP["mono"]]) for line in block.text.splitlines()]
            elif block.kind == "figure":
                out.append(("figure", block))
            out.append(("p", ""))
    return out


def _text_table(header, rows, max_cell: int = 48) -> list[str]:
    """A table as aligned monospace lines, cells cut to max_cell characters."""
    cells = [[str(c) if len(str(c)) <= max_cell else str(c)[: max_cell - 1] + "…" for c in row]
             for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return [line[: WRAP["mono"]] for line in lines]


def _line_height(style: str) -> float:
    return STYLES[style][0] * 1.45 / 72 / PAGE[1]


class _Pager:
    """Fills A4 pages top to bottom with text lines and images, starting a new page when full."""

    def __init__(self, pdf: PdfPages):
        self.pdf, self.page, self.y = pdf, None, TOP

    def _room(self, height: float) -> None:
        if self.page is None or self.y - height < BOTTOM:
            self.flush()
            self.page, self.y = plt.figure(figsize=PAGE), TOP

    def flush(self) -> None:
        if self.page is not None:
            self.pdf.savefig(self.page)
            plt.close(self.page)
            self.page = None

    def text(self, style: str, content: str) -> None:
        # A heading keeps a few lines of its section on its page.
        self._room(_line_height(style) + (5 * _line_height("p") if style == "h2" else 0))
        self.y -= _line_height(style)
        size, family, weight = STYLES[style]
        # parse_math=False: a "$" in a docstring or code must not start mathtext.
        self.page.text(MARGIN_X, self.y, content, fontsize=size, family=family, weight=weight, parse_math=False)

    def image(self, block: Block) -> None:
        """The figure at page width (shrunk to fit a page if tall), its caption below it."""
        path = Path(block.path)
        if not path.exists():
            self.text("p", f"(figure missing: {path})")
            return
        pixels = plt.imread(path)
        aspect = pixels.shape[0] / pixels.shape[1]
        width = 1 - 2 * MARGIN_X
        height = width * PAGE[0] * aspect / PAGE[1]
        if height > TOP - BOTTOM - 0.04:  # taller than a page: scale down, keep the aspect
            height = TOP - BOTTOM - 0.04
            width = height * PAGE[1] / aspect / PAGE[0]
        self._room(height + _line_height("p"))
        ax = self.page.add_axes((MARGIN_X, self.y - height, width, height))
        ax.imshow(pixels)
        ax.set_axis_off()
        self.y -= height
        self.text("p", f"Figure: {block.text}")


def to_pdf(title: str, sections, pdf_path: Path) -> None:
    """Pages of matplotlib text with the figures set in at page width."""
    with PdfPages(pdf_path) as pdf:
        pager = _Pager(pdf)
        for style, content in _pdf_lines(title, sections):
            if style == "figure":
                pager.image(content)
            else:
                pager.text(style, content)
        pager.flush()


