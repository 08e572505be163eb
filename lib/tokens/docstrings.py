"""Docstring -> the one-sentence summary a user would type -> source tokens."""
from __future__ import annotations

import inspect
import re

# A line that starts a part of the docstring that is not the summary.
_SECTION_START = re.compile(
    r"""^(?:>>>|\.\.\s|[:@](?:param|parameter|arg|type|return|returns|rtype|raise|raises|keyword|ivar|var)\b
        |(?:args|arguments|parameters|params|returns?|yields?|raises|examples?|notes?|see\ also|attributes
           |keyword\ arguments|other\ parameters|references|warnings?|todo)\s*:?\s*$
        |[-=~^]{3,}\s*$)""",
    re.IGNORECASE | re.VERBOSE,
)
_URL = re.compile(r"(?:https?|ftp)://\S+|www\.\S+")
_ROLE = re.compile(r":[\w:.-]+:`~?([^`<]*?)\s*(?:<[^>]*>)?`")  # :func:`~os.path.join` -> os.path.join
_LINK = re.compile(r"`([^`<]+?)\s*<[^>]*>`_*")  # `text <target>`_ -> text
_MARKUP = re.compile(r"[`*|]|\\(?=\S)|<[^>\s]+>")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'`])")
_TOKEN = re.compile(r"\w+|[^\w\s]")


def summarize(docstring: str, first_sentence: bool = True, strip_markup: bool = True) -> str:
    """The first sentence of the docstring's first paragraph, markup removed; "" when nothing is left.

    The paragraph ends at a blank line, a doctest, a field list (`:param`, `@return`), a section header
    (`Args:`, `Returns`, numpy underlines) or a reST directive. Both steps written for library docstrings can
    be turned off for text that is already a one-sentence intent (CoNaLa), where backticks, `*` or a URL
    are part of the request: `first_sentence=False` keeps the whole paragraph, `strip_markup=False` keeps
    reST roles, links, URLs and markup characters as written.
    """
    lines = []
    for line in inspect.cleandoc(docstring).splitlines():
        line = line.strip()
        if not line and not lines:
            continue
        if not line or _SECTION_START.match(line):
            break
        lines.append(line)
    text = " ".join(lines)
    if strip_markup:
        text = _URL.sub(" ", _LINK.sub(r"\1", _ROLE.sub(r"\1", text)))
        text = _MARKUP.sub(" ", text)
    if first_sentence:
        text = _SENTENCE_END.split(text, maxsplit=1)[0]
    return " ".join(text.split())


def tokenize_summary(summary: str) -> list[str]:
    """Word and punctuation tokens; trailing full stop dropped, an ordinary first word lower-cased.

    `Return` -> `return`, while `DataFrame`, `HTTP` and `x` keep their case, so that identifiers
    can be copied into the code.
    """
    tokens = _TOKEN.findall(summary)
    if tokens and tokens[-1] == ".":
        tokens.pop()
    if tokens and tokens[0][:1].isupper() and tokens[0][1:].islower():
        tokens[0] = tokens[0].lower()
    return tokens
