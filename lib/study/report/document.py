"""The report's document model: sections of plain blocks, which the Markdown renderer turns into text.

A block is a paragraph, a bullet list, a table (with its caption), a code listing or a figure (with its
caption). Sections are built from blocks only, so what the report says does not depend on how it is rendered.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Block:
    """kind: 'p' (text), 'list' (items), 'table' (text=caption, header, items=rows), 'code' (text),
    'figure' (path, text=caption)."""

    kind: str
    text: str = ""
    items: list = field(default_factory=list)
    header: list = field(default_factory=list)
    path: str | None = None


def paragraph(text: str) -> Block:
    """A paragraph of plain text (sentences)."""
    return Block("p", text=text)


def bullets(items) -> Block:
    """A bullet list, one sentence or short phrase per item."""
    return Block("list", items=list(items))


def table(caption: str, header, rows) -> Block:
    """A table with a caption; cells are strings already formatted for reading."""
    return Block("table", text=caption, header=list(header), items=[[str(c) for c in row] for row in rows])


def code(text: str) -> Block:
    """A Python listing."""
    return Block("code", text=text)


def figure(path, caption: str) -> Block:
    """An image file with its caption."""
    return Block("figure", text=caption, path=None if path is None else str(path))
