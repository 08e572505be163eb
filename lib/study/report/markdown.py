"""Markdown rendering of the report's blocks (GitHub-flavoured: pipe tables, fenced code)."""
from __future__ import annotations

import os
from pathlib import Path

_MD_SPECIAL = "\\`*_<>|[]#$"  # $ too: GitHub renders $...$ as math


def md_escape(text) -> str:
    """Plain text safe in Markdown: special characters backslash-escaped, newlines as spaces."""
    return "".join("\\" + c if c in _MD_SPECIAL else c for c in str(text).replace("\n", " "))


def to_markdown(title: str, sections, markdown_path: Path) -> str:
    """Markdown text; figure links relative to the Markdown file's folder."""
    lines = [f"# {md_escape(title)}", ""]
    for heading, blocks in sections:
        lines += [f"## {heading}", ""]
        for block in blocks:
            if block.kind == "p":
                lines.append(md_escape(block.text))
            elif block.kind == "list":
                lines += [f"- {md_escape(item)}" for item in block.items]
            elif block.kind == "table":
                lines.append("| " + " | ".join(md_escape(h) for h in block.header) + " |")
                lines.append("|" + "---|" * len(block.header))
                lines += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in block.items]
            elif block.kind == "code":
                lines += ["```python", block.text, "```"]
            elif block.kind == "figure":
                link = Path(os.path.relpath(Path(block.path).resolve(), markdown_path.parent.resolve())).as_posix()
                lines.append(f"![{md_escape(block.text)}]({link})")
            lines.append("")
    return "\n".join(lines)


