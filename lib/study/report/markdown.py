"""Markdown rendering of the report's blocks (GitHub-flavoured: pipe tables, fenced code, numbered captions)."""
from __future__ import annotations

import os
from pathlib import Path

_MD_SPECIAL = "\\`*_<>|[]#$"  # $ too: GitHub renders $...$ as math


def md_escape(text) -> str:
    """Plain text safe in Markdown: special characters backslash-escaped, newlines as spaces."""
    return "".join("\\" + c if c in _MD_SPECIAL else c for c in str(text).replace("\n", " "))


def _link(path: str, markdown_path: Path) -> str:
    """A figure's path relative to the Markdown file's folder, with forward slashes."""
    return Path(os.path.relpath(Path(path).resolve(), markdown_path.parent.resolve())).as_posix()


def _table(block, number: int) -> list[str]:
    """A caption line and a pipe table."""
    lines = [f"*Table {number}. {md_escape(block.text)}*", "",
             "| " + " | ".join(md_escape(h) for h in block.header) + " |",
             "|" + "---|" * len(block.header)]
    return lines + ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in block.items]


def _figure(block, number: int, markdown_path: Path) -> list[str]:
    """An image and its numbered caption below it."""
    if not block.path:
        return [f"*Figure {number} is missing: {md_escape(block.text)}.*"]
    caption = block.text if block.text.endswith((".", "?", "!")) else block.text + "."
    return [f"![Figure {number}]({_link(block.path, markdown_path)})", "", f"*Figure {number}. {md_escape(caption)}*"]


def to_markdown(title: str, sections, markdown_path: Path) -> str:
    """The report as Markdown; tables and figures numbered in order, figure links relative to the file."""
    lines, tables, figures = [f"# {md_escape(title)}", ""], 0, 0
    for heading, blocks in sections:
        lines += [f"## {heading}", ""]
        for block in blocks:
            if block.kind == "p":
                lines.append(md_escape(block.text))
            elif block.kind == "list":
                lines += [f"- {md_escape(item)}" for item in block.items]
            elif block.kind == "table":
                tables += 1
                lines += _table(block, tables)
            elif block.kind == "code":
                lines += ["```python", block.text, "```"]
            elif block.kind == "figure":
                figures += 1
                lines += _figure(block, figures, markdown_path)
            lines.append("")
    return "\n".join(lines)
