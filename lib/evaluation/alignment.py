"""Token-level error analysis: align each output with its reference and count the edits by token type.

`difflib.SequenceMatcher` (autojunk off, so frequent tokens such as `(` or `<NEWLINE>` are never treated as
junk) aligns the two code token sequences. Its opcodes become one edit per token:
- `replace` ref[i1:i2] -> hyp[j1:j2]: the first min(i2 - i1, j2 - j1) pairs, position by position, are
  substitutions (`sub`); the reference tokens left over are deletions (`del`), the output tokens left over
  insertions (`ins`);
- `delete` / `insert`: one `del` per reference token / one `ins` per output token.
A substitution and a deletion take the type of the reference token (what was lost), an insertion the type of
the output token. Rates divide by the number of reference tokens, so the rates of all types and operations
add up to the token edit rate (S + I + D) / N, which exceeds 1 when outputs ramble.

Token types (`TOKEN_TYPES`), from the token kinds of lib/tokens/kinds.py, the first rule that applies:
1. `layout` — `<NEWLINE>`, `<INDENT>`, `<DEDENT>`;
2. `operator` — the tokens the error taxonomy compares (`OPERATORS`: arithmetic, comparison, bitwise,
   augmented assignment, and the keywords `and or not is in`);
3. `literal` — numbers, strings (any prefix, f-strings included), `True`, `False`, `None`, `...`;
4. `keyword` — every other hard keyword (`def`, `return`, `if`, ...);
5. names (identifiers), split three ways:
   - `docstring_name` — the name matches a docstring (`src`) token: equal ignoring case, or the two share a
     sub-word piece of at least 3 letters, pieces being the lower-cased parts split on `_` and camelCase, digit
     runs left out (`name_pieces(name, digits=False)`), one piece equal to or a prefix of the other
     (`max_len`~"maximum", `fileName`~"file", `x`~"X"; `is_ok` does not match "is": the piece is too short;
     `sha256` does not match "256"). Checked first: the input gave the model these names;
   - `signature_name` — otherwise, the reference's function name or one of its parameters;
   - `other_name` — every other name (locals, globals, attributes, builtins);
6. `punctuation` — brackets, `,`, `.`, `:`, `=`, `->`, `:=`, and any other token (an emitted `<unk>`).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from lib.tokens.kinds import KEYWORD, LAYOUT_KIND, NAME, NUMBER, STRING, is_name, name_pieces, token_kind

TOKEN_TYPES = ("layout", "operator", "docstring_name", "signature_name", "other_name", "literal", "keyword",
               "punctuation")
EDIT_OPS = ("sub", "ins", "del")

# Operator tokens (the error taxonomy's `wrong_operator` compares these); `=`, `:=`, `.`, `,`, `->` and
# brackets are punctuation.
ARITHMETIC = frozenset({"+", "-", "*", "/", "//", "%", "**", "@"})
COMPARISON = frozenset({"==", "!=", "<", ">", "<=", ">="})
BOOLEAN = frozenset({"and", "or", "not", "is", "in"})  # logic, identity and membership keywords
AUGMENTED = frozenset({"+=", "-=", "*=", "/=", "//=", "%=", "**=", "@=", "&=", "|=", "^=", "<<=", ">>="})
BITWISE = frozenset({"&", "|", "^", "~", "<<", ">>"})
OPERATORS = ARITHMETIC | COMPARISON | BOOLEAN | AUGMENTED | BITWISE

CONSTANTS = frozenset({"True", "False", "None", "..."})
MIN_PIECE = 3  # shorter pieces ("is", "a", "to") would make most names docstring names
CONTEXT = 6  # tokens shown on each side of an edit in the examples


@dataclass(frozen=True)
class Edit:
    """One token edit. `reference` / `generated` are the token (None on the side that has none);
    `ref_index` / `hyp_index` its position, or for a missing side the position where it would go."""

    op: str  # one of EDIT_OPS
    token_type: str  # one of TOKEN_TYPES
    reference: str | None
    generated: str | None
    ref_index: int
    hyp_index: int


def matcher(hypothesis: Sequence[str], reference: Sequence[str]) -> SequenceMatcher:
    """SequenceMatcher over the code tokens, output first, autojunk off (deterministic for any length)."""
    return SequenceMatcher(None, list(hypothesis), list(reference), autojunk=False)


def similarity(hypothesis: Sequence[str], reference: Sequence[str]) -> float:
    """2 * matched tokens / (len(hyp) + len(ref)) in [0, 1] (SequenceMatcher.ratio); 1.0 for two empty."""
    return matcher(hypothesis, reference).ratio()


def _pieces_match(a: str, b: str) -> bool:
    """Equal pieces, or one a prefix of the other; both at least MIN_PIECE letters long."""
    short, long_ = sorted((a, b), key=len)
    return len(short) >= MIN_PIECE and long_.startswith(short)


class DocstringNames:
    """Decides whether a name comes from a docstring (see the module docstring for the rule)."""

    def __init__(self, src_tokens: Iterable[str]):
        words = [str(token) for token in src_tokens]
        self.lowered = {word.lower() for word in words}
        self.pieces = {piece for word in words for piece in name_pieces(word, digits=False) if len(piece) >= MIN_PIECE}

    def __contains__(self, name: str) -> bool:
        if name.lower() in self.lowered:
            return True
        return any(_pieces_match(mine, theirs) for mine in name_pieces(name, digits=False) for theirs in self.pieces)


def signature_names(reference: Sequence[str]) -> set[str]:
    """The function name and parameter names of the first `def` in a token sequence (empty without one).

    A parameter is a name at bracket depth 1 of the signature right after `(`, `,`, `*` or `**`, so
    annotations and default values (`n: int = len`) do not count."""
    tokens = list(reference)
    if "def" not in tokens:
        return set()
    start = tokens.index("def")
    names = {tokens[start + 1]} if start + 1 < len(tokens) and is_name(tokens[start + 1]) else set()
    depth = 0
    for index in range(start + 2, len(tokens)):
        token = tokens[index]
        if token in ("(", "[", "{"):
            depth += 1
        elif token in (")", "]", "}"):
            depth -= 1
            if depth <= 0:
                break
        elif depth == 1 and tokens[index - 1] in ("(", ",", "*", "**") and is_name(token):
            names.add(token)
    return names


def token_type(token: str, docstring: DocstringNames, signature: set[str]) -> str:
    """The type (one of TOKEN_TYPES) of a code token, given the docstring's and the signature's names."""
    kind = token_kind(token)
    if kind == LAYOUT_KIND:
        return "layout"
    if token in OPERATORS:
        return "operator"
    if kind in (NUMBER, STRING) or token in CONSTANTS:
        return "literal"
    if kind == KEYWORD:
        return "keyword"
    if kind == NAME:
        if token in docstring:
            return "docstring_name"
        return "signature_name" if token in signature else "other_name"
    return "punctuation"


def align(hypothesis: Sequence[str], reference: Sequence[str], src: Sequence[str]) -> list[Edit]:
    """Every token edit that turns the reference into the output, in reference order (rules above)."""
    hypothesis, reference = list(hypothesis), list(reference)
    docstring, signature = DocstringNames(src), signature_names(reference)

    def typed(op: str, ref_index: int, hyp_index: int, ref_token: str | None, hyp_token: str | None) -> Edit:
        kind = token_type(hyp_token if ref_token is None else ref_token, docstring, signature)
        return Edit(op, kind, ref_token, hyp_token, ref_index, hyp_index)

    edits = []
    for tag, j1, j2, i1, i2 in matcher(hypothesis, reference).get_opcodes():  # j: output, i: reference
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)
        edits += [typed("sub", i1 + k, j1 + k, reference[i1 + k], hypothesis[j1 + k]) for k in range(paired)]
        edits += [typed("del", i, j1 + paired, reference[i], None) for i in range(i1 + paired, i2)]
        edits += [typed("ins", i1 + paired, j, None, hypothesis[j]) for j in range(j1 + paired, j2)]
    return edits


def count_edits(edits: Iterable[Edit]) -> dict[str, dict[str, int]]:
    """{type: {op: count}} for every type in TOKEN_TYPES and op in EDIT_OPS (zeros included)."""
    counts = {kind: dict.fromkeys(EDIT_OPS, 0) for kind in TOKEN_TYPES}
    for edit in edits:
        counts[edit.token_type][edit.op] += 1
    return counts


def edit_rates(counts: dict[str, dict[str, int]], reference_tokens: int, digits: int = 4) -> dict:
    """{"total": {op: rate}, type: {op: rate} ...}: counts per reference token, rounded; None without
    reference tokens (None, not NaN, so the result is valid JSON)."""

    def rate(count: int) -> float | None:
        return round(count / reference_tokens, digits) if reference_tokens else None

    totals = {op: sum(by_op[op] for by_op in counts.values()) for op in EDIT_OPS}
    return {"total": {op: rate(n) for op, n in totals.items()},
            **{kind: {op: rate(n) for op, n in by_op.items()} for kind, by_op in counts.items()}}


def _context(tokens: Sequence[str], start: int, end: int) -> str:
    """tokens[start:end] in «», with up to CONTEXT tokens either side, joined by spaces ("«»" for none)."""
    before = list(tokens[max(0, start - CONTEXT): start])
    after = list(tokens[end: end + CONTEXT])
    return " ".join([*before, "«" + " ".join(tokens[start:end]) + "»", *after])


def example(edit: Edit, hypothesis: Sequence[str], reference: Sequence[str], summary: str) -> dict:
    """A report-ready record of one edit: the docstring summary, op, type, both tokens and their contexts
    (the edited token in «», an empty «» where the other side has none)."""
    ref_end = edit.ref_index + (edit.reference is not None)
    hyp_end = edit.hyp_index + (edit.generated is not None)
    return {"summary": summary, "op": edit.op, "type": edit.token_type,
            "reference": edit.reference, "generated": edit.generated,
            "reference_context": _context(list(reference), edit.ref_index, ref_end),
            "generated_context": _context(list(hypothesis), edit.hyp_index, hyp_end)}


def corpus_counts(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]],
                  sources: Sequence[Sequence[str]]) -> tuple[dict[str, dict[str, int]], int]:
    """({type: {op: count}} summed over the corpus, number of reference tokens); the three lists are
    parallel: output, reference and docstring tokens of each example."""
    if not len(hypotheses) == len(references) == len(sources):
        raise ValueError(f"{len(hypotheses)} outputs, {len(references)} references, {len(sources)} docstrings")
    edits = (edit for h, r, s in zip(hypotheses, references, sources) for edit in align(h, r, s))
    return count_edits(edits), sum(len(r) for r in references)


def edit_examples(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]],
                  sources: Sequence[Sequence[str]], summaries: Sequence[str], per_type: int) -> dict[str, list[dict]]:
    """{type: up to `per_type` example records (see `example`)} for every type in TOKEN_TYPES, taken in the
    order of the examples given, at most one per example and type so that they show different programs."""
    chosen: dict[str, list[dict]] = {kind: [] for kind in TOKEN_TYPES}
    for hypothesis, reference, src, summary in zip(hypotheses, references, sources, summaries):
        if all(len(records) >= per_type for records in chosen.values()):
            break
        seen = set()
        for edit in align(hypothesis, reference, src):
            if edit.token_type not in seen and len(chosen[edit.token_type]) < per_type:
                seen.add(edit.token_type)
                chosen[edit.token_type].append(example(edit, hypothesis, reference, summary))
    return chosen
