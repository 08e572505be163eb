"""Constrained decoding: token rules that every parseable function obeys, as a mask over the vocabulary.

The rules, checked on the tokens emitted so far (brackets, indentation depth, the current line):
- a closing bracket must match the innermost open one;
- `<NEWLINE>` ends a non-empty line outside brackets;
- after a line that ends with `:` the next token is `<INDENT>`, and `<INDENT>` appears nowhere else;
- `<DEDENT>` starts a line and never goes below level 0;
- EOS needs no open bracket, a finished or non-empty line that does not end with `:` or an operator;
- with a length budget, once the steps left only suffice to close the open brackets, they are closed, and
  a new line is not started with fewer than LINE_RESERVE steps left: the output ends there instead
  (degenerate repetition would otherwise run into the budget in the middle of a line).
A model that breaks none of these can still write invalid code, but never for these reasons.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from lib.tokens.code_tokens import DEDENT, INDENT, NEWLINE
from lib.tokens.vocabulary import BOS_ID, EOS_ID, PAD_ID, Vocabulary

OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = frozenset(OPENERS.values())
# A line cannot end on these: they need a right-hand side.
DANGLING = frozenset({"=", ".", ",", "+", "-", "*", "/", "//", "%", "**", "@", "==", "!=", "<", ">", "<=", ">=",
                      "and", "or", "not", "in", "is", "->", "+=", "-=", "*=", "/=", "lambda", "def", "class",
                      "if", "elif", "while", "for", "with", "import", "from", "as", "del", "assert", "await",
                      "&", "|", "^", "~", "<<", ">>", ":="})
LINE_RESERVE = 10  # steps a new line may need; with fewer left, end the output at the line break


@dataclass(frozen=True)
class LayoutState:
    """What the rules need to know about a partial output."""

    brackets: tuple[str, ...] = ()  # expected closers, innermost last
    depth: int = 0
    line_start: bool = True  # nothing emitted on the current line yet
    last: str = ""  # the last token of the current line
    indent_due: bool = False  # the last line ended with ':'
    length: int = 0  # tokens emitted so far


class SyntaxConstraint:
    """Masks, per partial output, the target tokens that would break a rule above."""

    def __init__(self, tgt_vocab: Vocabulary, max_len: int | None = None):
        """`max_len`: the most tokens a search emits (EOS included), or None for no budget."""
        self.itos = tgt_vocab.itos
        self.max_len = max_len
        size = len(tgt_vocab)

        def ids(tokens) -> torch.Tensor:
            mask = torch.zeros(size, dtype=torch.bool)
            mask[[tgt_vocab.stoi[t] for t in tokens if t in tgt_vocab.stoi]] = True
            return mask

        self.closers = {closer: ids([closer]) for closer in CLOSERS}
        self.any_closer = ids(CLOSERS)
        self.layout = {token: ids([token]) for token in (NEWLINE, INDENT, DEDENT)}
        self.never = ids([]).index_fill(0, torch.tensor([PAD_ID, BOS_ID]), True)
        self.all_but_indent = ~self.layout[INDENT]
        self.eos = ids([]).index_fill(0, torch.tensor([EOS_ID]), True)

    def initial(self) -> LayoutState:
        return LayoutState()

    def forbidden(self, state: LayoutState) -> torch.Tensor:
        """[vocab] bool: True for the tokens that may not come next."""
        if state.indent_due:
            return self.all_but_indent.clone()
        if self.max_len is not None:
            left = self.max_len - state.length
            if state.brackets and left <= len(state.brackets):
                return ~self.closers[state.brackets[-1]]
            if state.line_start and state.length and left < LINE_RESERVE:
                return ~self.eos
        mask = self.never | self.layout[INDENT]
        mask = mask | self.any_closer
        if state.brackets:
            mask = mask & ~self.closers[state.brackets[-1]]
        if state.brackets or state.line_start or state.last in DANGLING:
            mask = mask | self.layout[NEWLINE]
        if not state.line_start or state.depth == 0 or state.brackets:
            mask = mask | self.layout[DEDENT]
        if state.brackets or state.last == ":" or state.last in DANGLING:
            mask = mask | self.eos
        return mask

    def forbidden_batch(self, states: list[LayoutState]) -> torch.Tensor:
        """[len(states), vocab] bool."""
        return torch.stack([self.forbidden(state) for state in states])

    def advance(self, state: LayoutState, token_id: int) -> LayoutState:
        """The state after emitting `token_id`."""
        token = self.itos[token_id]
        length = state.length + 1
        if token == NEWLINE:
            return LayoutState(state.brackets, state.depth, True, "", state.last == ":", length)
        if token == INDENT:
            return LayoutState(state.brackets, state.depth + 1, True, "", False, length)
        if token == DEDENT:
            return LayoutState(state.brackets, max(state.depth - 1, 0), True, "", False, length)
        brackets = state.brackets
        if token in OPENERS:
            brackets = brackets + (OPENERS[token],)
        elif token in CLOSERS and brackets and brackets[-1] == token:
            brackets = brackets[:-1]
        return LayoutState(brackets, state.depth, False, token, False, length)
