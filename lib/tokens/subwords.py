"""Identifier sub-words: `max_value` -> `max@_ value`, `myList` -> `my@@ List`, joined back exactly.

A piece that continues into the next one carries a join marker as its suffix: `@@` glues the next piece on
directly (camelCase, letters / digits), `@_` glues it on with an underscore (snake_case). Identifiers with a
double underscore inside, dunder names (`__init__`) and every token that is not an identifier (keywords,
operators, literals, layout tokens) are left whole. Leading and trailing underscores are pieces of their own
(`_exp` -> `_@@ exp`). No Python token ends in `@@` or `@_`, so the markers are unambiguous.

A piece that a vocabulary lacks can be *spelled*: written as the fewest pieces of that vocabulary that join
back to it, down to single characters (`getcontext` -> `get@@ context`, `Lookup` -> `Look@@ up`; `spell`).

Models read and write pieces; everything a user or a metric sees is whole tokens again (`join_pieces`).
Docstring words are split the same way, so a docstring's `myList` or "maximum value" gives the pieces a
model (and the copy model's pointer) can reuse in the code.
"""
from __future__ import annotations

import re
from collections.abc import Container, Sequence

from lib.tokens.kinds import humps, is_keyword

GLUE, GLUE_UNDERSCORE = "@@", "@_"
_SPLITTABLE = re.compile(r"_*[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*_*")
_PIECE = re.compile(r"\w+")


def split_identifier(token: str) -> list[str]:
    """The pieces of one token (a one-element list when it is not split); see the module docstring."""
    if not _SPLITTABLE.fullmatch(token) or is_keyword(token) or (token.startswith("__") and
                                                                 token.endswith("__")):
        return [token]
    lead = token[: len(token) - len(token.lstrip("_"))]
    trail = token[len(token.rstrip("_")):]
    segments = token.strip("_").split("_")
    pieces: list[str] = []
    for number, segment in enumerate(segments):
        parts = humps(segment)
        if "".join(parts) != segment:
            parts = [segment]
        last_segment = number == len(segments) - 1
        for position, hump in enumerate(parts):
            last_hump = position == len(parts) - 1
            pieces.append(hump + ("" if last_hump and last_segment else GLUE_UNDERSCORE if last_hump else GLUE))
    # leading / trailing underscores are pieces of their own, so `_exp` reuses `exp`
    pieces = ([lead + GLUE] if lead else []) + pieces
    if trail:
        pieces[-1] += GLUE
        pieces.append(trail)
    return pieces if len(pieces) > 1 else [token]


def split_tokens(tokens: Sequence[str]) -> tuple[list[str], list[int]]:
    """(pieces, owner): the pieces of every token, and for each piece the index of its token."""
    pieces, owner = [], []
    for index, token in enumerate(tokens):
        parts = split_identifier(token)
        pieces.extend(parts)
        owner.extend([index] * len(parts))
    return pieces, owner


def _marker(piece: str) -> str:
    return piece[-2:] if piece.endswith((GLUE, GLUE_UNDERSCORE)) and len(piece) > 2 else ""


def _written(piece: str) -> tuple[str, str]:
    """(the text a piece adds to its token, its marker): `max@_` -> (`max_`, `@_`), `my@@` -> (`my`, `@@`)."""
    marker = _marker(piece)
    return piece[: len(piece) - len(marker)] + ("_" if marker == GLUE_UNDERSCORE else ""), marker


def strip_marker(piece: str) -> str:
    """A piece's text without its join marker (`get@_` -> `get`)."""
    return piece[: len(piece) - len(_marker(piece))]


def join_pieces(pieces: Sequence[str]) -> tuple[list[str], list[list[int]]]:
    """(tokens, groups): pieces glued back into tokens, and for each token the indices of its pieces.

    A marker followed by something that cannot continue an identifier (a model's output may do that) ends
    the token there: `max@_ (` -> `max_`, `(`.
    """
    tokens: list[str] = []
    groups: list[list[int]] = []
    pending = ""  # the token being glued, markers resolved
    for index, piece in enumerate(pieces):
        if pending and not _PIECE.fullmatch(piece[: len(piece) - len(_marker(piece))] or "-"):
            tokens.append(pending)
            pending = ""
        if pending:
            groups[-1].append(index)
        else:
            groups.append([index])
        marker = _marker(piece)
        text = piece[: len(piece) - len(marker)] if marker else piece
        pending += text + ("_" if marker == GLUE_UNDERSCORE else "")
        if not marker:
            tokens.append(pending)
            pending = ""
    if pending:
        tokens.append(pending)
    return tokens, groups


def spell(piece: str, known: Container[str]) -> list[str] | None:
    """`piece` as the fewest `known` pieces that join back to it (ties: the longest first piece), or None when
    it is not a word piece (a string, an operator) or has a character with no known piece.

    A piece is its text plus how it continues: `max@_` is the text `max_` going on into the next piece, so it
    may be spelled `max@_` or `max@@ _@@`; every spelled piece but the last continues with `@@` or `@_`.
    """
    text, marker = _written(piece)
    if not _PIECE.fullmatch(text):
        return None

    def candidates(start: int, end: int) -> list[str]:
        chunk = text[start:end]
        if end == len(text) and not marker:
            return [chunk]
        glued = [chunk + GLUE]
        if chunk.endswith("_") and len(chunk) > 1:
            glued.append(chunk[:-1] + GLUE_UNDERSCORE)
        return glued

    # best[i]: the fewest known pieces that write text[i:] (None: impossible), filled from the end
    best: list[list[str] | None] = [None] * len(text) + [[]]
    for start in range(len(text) - 1, -1, -1):
        for end in range(len(text), start, -1):  # longest first, so ties keep the longest first piece
            rest = best[end]
            if rest is None or (best[start] is not None and len(rest) + 1 >= len(best[start])):
                continue
            found = next((c for c in candidates(start, end) if c in known), None)
            if found is not None:
                best[start] = [found, *rest]
    return best[0]


def spelling_alphabet(pieces: Sequence[str]) -> list[str]:
    """The one-character pieces (`c` and `c@@`) that let `spell` write any piece made of the characters of
    `pieces`' word pieces, in order of first appearance."""
    alphabet: dict[str, None] = {}
    for piece in pieces:
        text, _ = _written(piece)
        if _PIECE.fullmatch(text):
            for char in text:
                alphabet.setdefault(char, None)
    return [entry for char in alphabet for entry in (char, char + GLUE)]


def merge_pieces(tokens: Sequence[str]) -> list[str]:
    """Whole tokens of a piece sequence (`join_pieces` without the groups)."""
    return join_pieces(tokens)[0]
