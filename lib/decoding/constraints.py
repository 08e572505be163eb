"""Constrained decoding: token rules that every parseable function obeys, as a mask over the vocabulary.

The rules, checked on the tokens emitted so far (brackets, indentation depth, the current line):
- brackets: a closing bracket matches the innermost open one and never follows a token that needs an operand
  (`f(x +)`, `self.)`, `x[]`, `{a:}`);
- names: after `.`, `def` and `class` only a name may follow (an identifier that is not a keyword, or
  `<unk>`), after `def NAME` only `(`, and a parameter list holds names, `*`, `**` and `/`; two operands never
  follow each other (`return x y`), except adjacent string literals; `x not` goes on with `in`;
- operators that need a left operand (`=`, `==`, `.`, `,`, `and`, `in`, and mid-line `if`, `for`, `else`)
  never start a line or follow an opening bracket, a keyword or another operator (`(,`, `x = == y`,
  `return = x`, `[for`);
- statements: `return`, `pass`, `def`, `while`, ... start a line (or follow a block's `:` on it); nothing but
  the line's end follows `pass`, `break`, `continue`; `=` assigns only on lines that do not start with a
  keyword, and in parentheses only names a keyword argument (`f(a=1)`) or a default (`def f(a: int = 1)`);
- awaited tokens: a `for` needs its `in`, a `from` line its `import`, a lambda its `:`, and outside brackets a
  conditional expression its `else`, each before its bracket closes or its line ends;
- colons: a `:` ends a block header, a lambda's parameters or an annotation (`x: int`, `def f(a: int)`), or
  stands in a subscript (`x[1:]`) or a dict; nowhere else (`return: x`, `f(a: b)`);
- blocks: a line that starts a block (`if`, `for`, `def`, `else`, ...) cannot end before its `:`; the next
  line is `<INDENT>`, `<INDENT>` appears nowhere else, and the block gets a statement before any `<DEDENT>`
  or EOS;
- clauses: a line starts with `elif`, `else`, `except` or `finally` only right after the block it continues
  has ended (`<DEDENT>` back from an `if` block before `else:`; `CLAUSES`);
- `<NEWLINE>` ends a non-empty line outside brackets that awaits nothing; `<DEDENT>` starts a line and never
  goes below level 0, nor back to it out of a `def` or `class` (the output is that one definition; EOS closes
  its blocks, so nothing can follow at module level, like a `return` outside the function); EOS needs what
  `<NEWLINE>` needs, or an empty line; `;` is never emitted.

With a length budget (`max_len`), a token is allowed only when the shortest completion after it still fits in
the steps left: the operands that operators and a block's body need, the awaited tokens, the closing
brackets, the `:` of a header. When the steps left just suffice, that completion is the only choice
(`def f(a, b` at the budget ends as `def f(a, b):` / `<INDENT>` / a name). A new line is not started with fewer
than LINE_RESERVE steps left: the output ends there instead (degenerate repetition would otherwise run into
the budget in the middle of a line).

What this guarantees: the output never fails `ast.parse` for one of the reasons above, also when the budget
cuts it. What it does not: the rules see tokens, not the grammar. Still possible are, for example, a `try`
without `except` (also when the budget cuts its block), an `else` or `finally` after a block they cannot follow
but that a valid one resembles (`if` ... `else` ... `finally`), a decorator with nothing under it, a conditional
expression inside brackets without `else`, a trailing comma after a comprehension (`[x for x in y,]`),
parameter order (`def f(a=1, b)`, `f(a=1, b)`, `def f(*, *a)`), assignment to what cannot be assigned
(`f() = x`, `x + 1 = y`), and whatever else `ast.parse` rejects beyond the token level. A few rare valid forms
are forbidden too: `a, = b`, a line ending in `,` (`x = 1,`), `;` and `match` statements.
"""
from __future__ import annotations

import functools
import keyword
import re
from dataclasses import dataclass, replace

import torch

from lib.tokens import kinds
from lib.tokens.code_tokens import DEDENT, INDENT, NEWLINE
from lib.tokens.vocabulary import BOS_ID, EOS_ID, PAD_ID, UNK, Vocabulary

OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = frozenset(OPENERS.values())
ASSIGNMENTS = frozenset({"=", "+=", "-=", "*=", "/=", "//=", "%=", "**=", "@=", "&=", "|=", "^=", ">>=", "<<="})
# A line or a bracket cannot end right after these: they need an operand (a name, a literal, a bracket) next.
NEEDS_OPERAND = ASSIGNMENTS | {".", "+", "-", "*", "/", "//", "%", "**", "@", "==", "!=", "<", ">", "<=", ">=",
                               "and", "or", "not", "in", "is", "->", "lambda", "def", "class", "if", "elif",
                               "while", "for", "with", "import", "from", "as", "del", "assert", "await", "global",
                               "nonlocal", "&", "|", "^", "~", "<<", ">>", ":="}
# These need a left operand: never at a line start, after an opening bracket, a keyword or an operator.
BINARY_ONLY = ASSIGNMENTS | {"==", "!=", "<", ">", "<=", ">=", "/", "//", "%", "@", "and", "or", "in", "is", "->",
                             "&", "|", "^", "<<", ">>", ":=", ".", ",", "as"}
MID_LINE_BINARY = frozenset({"if", "for", "else"})  # the same, except at a line start (`x if y else z`, `[x for`)
NAME_ONLY_AFTER = frozenset({".", "def", "class"})
# Keywords that start a line opening a block: the line ends with ':' and the block needs a statement.
COMPOUND = frozenset({"if", "elif", "else", "while", "for", "with", "def", "class", "try", "except", "finally",
                      "async"})
# Statements that start a line (or follow a block's ':' on the same line); `async` may precede def / with.
STATEMENT_ONLY = frozenset({"def", "class", "while", "with", "try", "except", "finally", "elif", "pass", "break",
                            "continue", "return", "del", "assert", "global", "nonlocal", "raise"})
ENDS_STATEMENT = frozenset({"pass", "break", "continue"})  # only the line's end may follow
# An output that opens with one of these is one definition: no <DEDENT> back to level 0 after its header.
DEFINITIONS = frozenset({"def", "async", "class"})
# The clauses that continue a compound statement, and the blocks each may follow (`else` after a `for` or a
# `try` block too; `finally` after a try's `else`, which the rules cannot tell from an if's).
CLAUSES = {"elif": ("if", "elif"), "else": ("if", "elif", "for", "while", "try", "except"),
           "except": ("try", "except"), "finally": ("try", "except", "else")}
COLON_AFTER_KEYWORD = frozenset({"else", "try", "finally", "except", "lambda"})  # `else:`, `lambda: 0`
CONSTANTS = frozenset({"None", "True", "False", "..."})
COMMA_FREE = frozenset({"if", "elif", "while", "def", "class", "raise"})  # no tuple outside brackets: `if a, b:`
SOFT_KEYWORDS = frozenset(keyword.softkwlist)  # `match x`, `case _` put two names side by side
PARAMETER_TOKENS = ("*", "**", ")")  # besides names, what may open a parameter of a def (and `/` after `,`)
HEADER_COMPLETION = 4  # ':' <NEWLINE> <INDENT> and a name as the block's statement
MAX_RISE = 7  # the most one token lengthens the completion: `def` at a line start (NAME ( ) and the above)
LINE_RESERVE = 10  # steps a new line may need; with fewer left, end the output at the line break
# Identifier pieces of a sub-word vocabulary that continue into the next piece end in one of these.
JOIN_MARKERS = ("@@", "@_")
_WORD = re.compile(r"\w+")  # what may continue a name after a piece: letters, digits, even a keyword's letters


def is_name(token: str) -> bool:
    """An identifier that is not a keyword (soft keywords are names), or the placeholder `<unk>`."""
    return token == UNK or kinds.is_name(token)


def is_piece(token: str) -> bool:
    """A piece of a sub-word vocabulary that the next token continues (`get@@`, `5@@`, `in@@`)."""
    return token.endswith(JOIN_MARKERS) and bool(_WORD.fullmatch(token[:-2]))


def starts_name(token: str) -> bool:
    """A piece that can begin an identifier (`get@@`; not `5@@`, nor `in@@`: a name's later pieces may be
    digits or keywords, its first may not)."""
    return is_piece(token) and is_name(token[:-2])


def is_literal(token: str) -> bool:
    """A number, string or constant (`None`, `...`)."""
    return kinds.is_literal(token) or token in CONSTANTS


def ends_operand(token: str) -> bool:
    """Whether `token` can end an operand: a name, a literal or a closing bracket."""
    return is_name(token) or is_literal(token) or token in CLOSERS


def is_keyword(token: str) -> bool:
    """A keyword that is not a constant (`return`, `if`; not `None`)."""
    return kinds.is_keyword(token) and token not in CONSTANTS


@dataclass(frozen=True)
class LayoutState:
    """What the rules need to know about a partial output."""

    brackets: tuple[str, ...] = ()  # expected closers, innermost last
    depth: int = 0
    line_start: bool = True  # nothing emitted on the current line yet
    last: str = ""  # the last token of the current line
    indent_due: bool = False  # the last line ended with a block's ':'
    length: int = 0  # tokens emitted so far
    header: bool = False  # the line starts a block and its ':' has not come yet
    block: bool = False  # the line's last token is that ':'
    body_due: bool = False  # the block just indented has no statement yet
    # Tokens the line awaits, innermost last, each with the bracket depth it must come at: '(' after `def NAME`,
    # `in` after `for`, `import` after a line's `from`, ':' after `lambda`, `else` after a top-level `a if b`.
    awaited: tuple[tuple[str, int], ...] = ()
    # What `last` is beyond its text: "slash" (`def f(a, /`), "subscript" (`x[`), "not" (`a not`), "else" (of a
    # conditional expression), "lambda" (a lambda's ':'), "argument" (a name that may take `=`: `f(a=`, `lambda a=`).
    role: str = ""
    first: str = ""  # the statement's first token
    def_line: bool = False  # the line defines a function
    target: bool = False  # the line so far can be annotated (`x`, `self.x`, `x[0]`)
    opened: tuple[str, ...] = ()  # the first token of each open block's header (`if`, `try`, `def`), outermost first
    closed: str = ""  # at a line start right after <DEDENT>: the first token of the block that just ended

    @property
    def operand_due(self) -> bool:
        """The last token needs an operand after it (a top-level ',' too: `x = a,` is refused)."""
        if self.role == "slash":
            return False
        if self.last in NEEDS_OPERAND or is_piece(self.last) or self.role in ("subscript", "else", "lambda"):
            return True
        if self.last == ",":
            return not self.brackets
        if self.last == ":":  # in brackets only a slice may end on ':' (`x[1:]`)
            return not self.block if not self.brackets else self.brackets[-1] != "]"
        return False

    @property
    def awaited_here(self) -> str:
        """The innermost awaited token when it may come now (its brackets are closed), else ""."""
        if self.awaited and self.awaited[-1][1] == len(self.brackets):
            return self.awaited[-1][0]
        return ""

    def completion(self) -> int:
        """The number of tokens of the shortest completion that the budget rules can force."""
        if self.indent_due:
            return 2  # <INDENT>, a name
        if self.body_due:
            return 1
        header = HEADER_COMPLETION if self.header else HEADER_COMPLETION - 1 if self.block else 0
        # Each awaited token comes with what follows it: an operand, or the ')' of `def f(`.
        return int(self.operand_due) + int(self.role == "not") + len(self.brackets) + 2 * len(self.awaited) + header


class SyntaxConstraint:
    """Masks, per partial output, the target tokens that would break a rule above."""

    def __init__(self, tgt_vocab: Vocabulary, max_len: int | None = None):
        """`max_len`: the most tokens a search emits (EOS included), or None for no budget."""
        self.itos = tgt_vocab.itos
        self.max_len = max_len

        def ids(tokens) -> torch.Tensor:
            mask = torch.zeros(len(tgt_vocab), dtype=torch.bool)
            mask[[tgt_vocab.stoi[t] for t in tokens if t in tgt_vocab.stoi]] = True
            return mask

        self.closers = {closer: ids([closer]) for closer in CLOSERS}
        self.any_closer = ids(CLOSERS)
        self.single = {t: ids([t]) for t in (NEWLINE, INDENT, DEDENT, ":", "(", ",", "in", "import", "from", "else")}
        self.nothing = ids([])
        self.never = ids([";"]).index_fill(0, torch.tensor([PAD_ID, BOS_ID]), True)
        self.all_but_indent = ~self.single[INDENT]
        self.eos = ids([]).index_fill(0, torch.tensor([EOS_ID]), True)
        self.line_end = self.single[NEWLINE] | self.eos
        self.pieces = ids([t for t in self.itos if is_piece(t)])
        self.whole_names = ids([t for t in self.itos if is_name(t)])
        self.names = self.whole_names | ids([t for t in self.itos if starts_name(t)])
        # what ends a name after a piece (UNK too: it is replaced by a source word before the pieces are joined)
        self.whole_continuations = ids([t for t in self.itos if _WORD.fullmatch(t) or t == UNK])
        self.continuations = self.whole_continuations | self.pieces
        self.atoms = self.whole_names | ids([t for t in self.itos if is_literal(t)])  # complete operands
        self.operands = self.names | self.atoms | ids(["{"])
        self.non_strings = self.operands & ~ids([t for t in self.itos if kinds.is_string(t)])
        self.parameters = {"(": self.names | ids(PARAMETER_TOKENS), ",": self.names | ids(PARAMETER_TOKENS + ("/",))}
        self.after_parameter = ids([",", ")", ":", "="])
        self.binary_only = ids(BINARY_ONLY)
        self.mid_line_binary = ids(MID_LINE_BINARY)
        # A line may start with a clause only right after the block it continues (`else` after an `if` block).
        self.clauses = ids(list(CLAUSES))
        self.clauses_but_after = {block: self.clauses & ~ids([c for c, after in CLAUSES.items() if block in after])
                                  for block in {b for after in CLAUSES.values() for b in after}}
        # The exceptions, by what came last: a decorator, `not in`, `def f(a, *, b)`, `x[:, 0]`, `def f(a, /)`,
        # a relative import (`from . import x`, `from ..a import b`) and `async for`.
        self.binary_only_but = {t: self.binary_only & ~ids([t]) for t in ("@", "in", ",", "/", ".")}
        self.mid_line_binary_but_for = self.mid_line_binary & ~ids(["for"])
        self.relative_import = self.names | ids([".", "import"])
        self.assignments = ids(ASSIGNMENTS)
        self.statement_only = ids(STATEMENT_ONLY)
        self.statement_only_but_async = ids(STATEMENT_ONLY - {"def", "with"})
        # Near the budget, tokens are checked one by one for how they lengthen the completion: all but names,
        # literals and layout, which never lengthen it (pieces are checked as a group).
        self.checked = [i for i, t in enumerate(self.itos) if i > EOS_ID and not (
            is_name(t) or is_piece(t) or is_literal(t) or t in (NEWLINE, INDENT, DEDENT))]
        # Beams share most states (a beam-5 decode of 120 test rows: 13k distinct states in 45k masks, 89k distinct
        # transitions in 192k), so each is computed once; the bounds keep the masks under ~70 MB.
        self._cached_forbidden = functools.lru_cache(maxsize=8192)(self.forbidden)
        self._cached_advance = functools.lru_cache(maxsize=65536)(self._advance)

    def initial(self) -> LayoutState:
        return LayoutState()

    def forbidden(self, state: LayoutState) -> torch.Tensor:
        """[vocab] bool: True for the tokens that may not come next."""
        if state.indent_due:
            return self.all_but_indent.clone()
        if self.max_len is None:
            return self.rules(state)
        budget = self.max_len - state.length - 1  # tokens that may follow the next one
        need = state.completion()
        if budget < need:
            return ~self.completion_step(state)
        if state.line_start and state.length and need == 0 and budget + 1 < LINE_RESERVE:
            return ~self.eos
        mask = self.rules(state)
        return mask | self.over_budget(state, budget) if budget - need < MAX_RISE else mask

    def forbidden_batch(self, states: list[LayoutState]) -> torch.Tensor:
        """[len(states), vocab] bool."""
        return torch.stack([self._cached_forbidden(state) for state in states])

    def rules(self, state: LayoutState) -> torch.Tensor:
        """[vocab] bool: the tokens the rules forbid, the length budget aside."""
        only = self._only(state)
        if only is not None:
            return ~only if only.any() else ~self.eos  # a vocabulary without those tokens: end here
        return self.never | self._brackets(state) | self._operands(state) | self._keywords(state) | \
            self._line_end(state)

    def _brackets(self, state: LayoutState) -> torch.Tensor:
        """Closers but the innermost one's, which waits for a pending operand or awaited token."""
        if state.brackets and not state.operand_due and not state.awaited_here:
            return self.any_closer & ~self.closers[state.brackets[-1]]
        return self.any_closer

    def _operands(self, state: LayoutState) -> torch.Tensor:
        """Operators without a left operand, operands after an operand, misplaced ',', '=' and ':'."""
        mask = self.single[INDENT].clone()  # only after a block's line, handled in forbidden()
        if state.line_start or state.last in OPENERS or state.last in (",", ":") or is_keyword(state.last) or \
                state.last in NEEDS_OPERAND:
            mask = mask | self._no_left_operand(state)
        if ends_operand(state.last) and state.last not in SOFT_KEYWORDS:
            mask = mask | (self.non_strings if kinds.is_string(state.last) else self.operands)
        if not state.brackets and state.first in COMMA_FREE and state.awaited_here != ":":
            mask = mask | self.single[","]  # a lambda's parameters aside
        if not self._assignment_allowed(state):
            mask = mask | self.assignments
        if not self._colon_allowed(state):
            mask = mask | self.single[":"]
        return mask

    def _keywords(self, state: LayoutState) -> torch.Tensor:
        """Statements, `import`, `from` and `else` where they cannot stand."""
        mask = self.nothing.clone()
        if not (state.line_start or state.block):
            mask = mask | (self.statement_only_but_async if state.last == "async" else self.statement_only)
            if state.awaited_here != "import":
                mask = mask | self.single["import"]
            if not (state.first == "raise" or state.last == "yield"):
                mask = mask | self.single["from"]  # mid-line only in `raise X from Y` and `yield from`
        if not (state.line_start or state.brackets or (state.awaited_here == "else" and not state.operand_due)):
            mask = mask | self.single["else"]  # mid-line, `else` belongs to a conditional expression
        if state.line_start:
            mask = mask | self.clauses_but_after.get(state.closed, self.clauses)
        return mask

    def _line_end(self, state: LayoutState) -> torch.Tensor:
        """<NEWLINE>, <DEDENT> and EOS where the line or the block is not finished."""
        mask = self.nothing.clone()
        if state.brackets or state.line_start or state.operand_due or state.header or state.awaited:
            mask = mask | self.single[NEWLINE]
        if not state.line_start or state.depth == 0 or state.brackets or state.body_due or (
                state.depth == 1 and state.opened[0] in DEFINITIONS):  # one definition: EOS closes it
            mask = mask | self.single[DEDENT]
        if state.completion():
            mask = mask | self.eos
        return mask

    def _only(self, state: LayoutState) -> torch.Tensor | None:
        """The only tokens allowed after `state.last`, where it leaves just a few; None elsewhere."""
        if state.role == "not":
            return self.single["in"]  # `a not` is `a not in b`
        if state.role == "slash":
            return self.single[","] | self.closers[state.brackets[-1]]
        if state.last == "." and state.awaited_here == "import":
            return self.relative_import  # `from .`, `from ..`: more dots, a module or `import`
        if is_piece(state.last):
            return self.continuations
        if state.last in NAME_ONLY_AFTER:
            return self.names
        if state.awaited_here == "(":
            return self.single["("]  # `def NAME` goes on with its parameters
        if state.def_line and state.brackets == (")",) and state.last in ("(", ","):
            return self.parameters[state.last]
        if state.def_line and state.brackets == (")",) and state.role == "argument":
            return self.after_parameter  # `def f(a` goes on with `,`, `)`, an annotation or a default
        if state.last in ENDS_STATEMENT:
            return self.line_end
        return None

    def _no_left_operand(self, state: LayoutState) -> torch.Tensor:
        """The operators that need a left operand, less the few that may follow `state.last`."""
        if state.line_start:
            return self.binary_only_but["@"]
        mid_line = self.mid_line_binary_but_for if state.last == "async" else self.mid_line_binary
        if state.last == "not":
            return self.binary_only_but["in"] | mid_line
        if state.last == "from" and state.awaited_here == "import":
            return self.binary_only_but["."] | mid_line
        if state.brackets and state.last in ("*", ":"):
            return self.binary_only_but[","] | mid_line
        if state.brackets and state.last == ",":
            return self.binary_only_but["/"] | mid_line
        return self.binary_only | mid_line

    @staticmethod
    def _assignment_allowed(state: LayoutState) -> bool:
        """`=` and `+=` assign in a statement that starts with a name; `=` also gives an argument or a default."""
        if state.role == "argument":
            return True
        if not state.brackets:
            return not is_keyword(state.first)
        return state.def_line and state.brackets == (")",)  # `def f(a: int = 1)`

    @staticmethod
    def _colon_allowed(state: LayoutState) -> bool:
        """Whether ':' may come next: in brackets after an operand or `[`; outside, to end what awaits one."""
        if state.line_start or state.last in ("(", "{"):
            return False
        if is_keyword(state.last):
            return state.last in COLON_AFTER_KEYWORD
        if state.last == "[":
            return True  # `x[:n]`
        if state.operand_due:
            return False
        if state.awaited_here == ":":
            return True  # a lambda's
        if state.awaited and not state.brackets:
            return False  # `a if b` needs its `else` first, `for x` its `in`
        if state.brackets:
            return state.brackets[-1] != ")" or (state.def_line and len(state.brackets) == 1)  # `def f(a: int)`
        return state.header or state.target  # a header's end, or an annotation

    def over_budget(self, state: LayoutState, budget: int) -> torch.Tensor:
        """[vocab] bool: the tokens after which the shortest completion needs more than `budget` tokens."""
        mask = torch.zeros(len(self.itos), dtype=torch.bool)
        for index in self.checked:
            if self.advance(state, index).completion() > budget:
                mask[index] = True
        if not state.operand_due and state.completion() + 1 > budget:
            mask = mask | self.pieces  # a piece leaves the name unfinished
        return mask

    def completion_step(self, state: LayoutState) -> torch.Tensor:
        """[vocab] bool: the allowed tokens when the steps left just suffice for the shortest completion."""
        if state.role == "not":
            allowed = self.single["in"]
        elif is_piece(state.last):
            allowed = self.whole_continuations
        elif state.last in NAME_ONLY_AFTER:
            allowed = self.whole_names
        elif state.body_due or state.operand_due:
            allowed = self.atoms
        elif state.awaited_here:
            allowed = self.single[state.awaited_here]
        elif state.brackets:
            allowed = self.closers[state.brackets[-1]]
        elif state.header:
            allowed = self.single[":"]
        elif state.block:
            allowed = self.single[NEWLINE]
        else:
            allowed = self.eos
        return allowed.clone() if allowed.any() else self.eos.clone()  # a vocabulary without it: end here

    def advance(self, state: LayoutState, token_id: int) -> LayoutState:
        """The state after emitting `token_id`."""
        return self._cached_advance(state, token_id)

    def _advance(self, state: LayoutState, token_id: int) -> LayoutState:
        token = self.itos[token_id]
        if is_piece(state.last):  # the token goes on with a name: only whether it ends it matters
            token = "_x" + token[-2:] if is_piece(token) else "_x"
        length = state.length + 1
        if token == NEWLINE:  # a block's header line ends: its block opens with the <INDENT> that must follow
            opened = state.opened + (state.first,) if state.block else state.opened
            return LayoutState(state.brackets, state.depth, length=length, indent_due=state.block, opened=opened)
        if token == INDENT:
            return LayoutState(state.brackets, state.depth + 1, length=length, body_due=True, opened=state.opened)
        if token == DEDENT:
            return LayoutState(state.brackets, max(state.depth - 1, 0), length=length, opened=state.opened[:-1],
                               closed=state.opened[-1] if state.opened else "")
        top = not state.brackets  # the token stands outside every bracket
        brackets = state.brackets
        if token in OPENERS:
            brackets = brackets + (OPENERS[token],)
        elif token in CLOSERS and brackets and brackets[-1] == token:
            brackets = brackets[:-1]
        awaited = self._awaited(state, token)
        colon_ends = token == ":" and top and len(awaited) == len(state.awaited)  # not a lambda's
        block = colon_ends and state.header
        target = (state.line_start and is_name(token)) or (
            state.target and (not top or token in ("[", ".") or is_name(token)))  # `x.y[0]`, not `f(x)`
        return replace(state, brackets=brackets, line_start=False, last=token, indent_due=False, length=length,
                       header=(state.header or (state.line_start and token in COMPOUND)) and not block, block=block,
                       body_due=False, awaited=awaited, role=self._role(state, token, awaited),
                       first=token if state.line_start or state.block else state.first,
                       def_line=state.def_line or (token == "def" and top), target=target and not colon_ends)

    @staticmethod
    def _awaited(state: LayoutState, token: str) -> tuple[tuple[str, int], ...]:
        """The tokens the line awaits after `token`."""
        depth = len(state.brackets)
        if token == state.awaited_here:
            return state.awaited[:-1]
        new = {"def": "(", "for": "in", "lambda": ":"}.get(token)
        if token == "from" and state.line_start:
            new = "import"
        elif token == "if" and depth == 0 and not (state.line_start or state.block):
            new = "else"  # a conditional expression (in brackets `if` may also filter a comprehension)
        return state.awaited + ((new, depth),) if new else state.awaited

    @staticmethod
    def _role(state: LayoutState, token: str, awaited: tuple) -> str:
        """What `token` is beyond its text (see LayoutState.role)."""
        if token == "else" and not state.line_start:
            return "else"  # of a conditional expression: an operand follows
        if token == ":" and len(awaited) < len(state.awaited):
            return "lambda"
        if token == "[" and ends_operand(state.last):
            return "subscript"
        if token == "not" and ends_operand(state.last):
            return "not"
        if token == "/" and state.last == "," and state.brackets:
            return "slash"
        in_call = state.brackets[-1:] == (")",) and state.last in ("(", ",")
        if is_name(token) and (in_call or state.last == "lambda" or (state.last == "," and state.awaited_here == ":")):
            return "argument"
        return ""
