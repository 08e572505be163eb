"""Error taxonomy of decoded programs: one class per output, the first rule that applies wins.

Rules, in order (`hyp` is the decoded token sequence, `ref` the reference's; "compiles" means
`compile(detokenize(hyp), "<generated>", "exec")` succeeds, which is stricter than `ast.parse`: duplicate
parameters, `return` outside a function or `nonlocal` at module level parse but do not compile):

1. `correct` — `hyp == ref` token for token.
2. `indentation_error` — hyp does not compile, and either the error is an IndentationError / TabError, or
   the layout tokens are unbalanced: a `<DEDENT>` that would take the level below 0, or a logical line
   ending in `:` (a block opener) not followed by `<INDENT>` — the "missing indentation" case.
   (`detokenize` clamps the level at 0, so layout is checked on the tokens themselves. An output that
   compiles despite a stray trailing `<DEDENT>` is not an indentation error: it runs.)
3. `syntax_error` — hyp does not compile, for any other reason (a parse error or a compile-time error).
4. `unrelated` — hyp compiles but shares almost nothing with ref: the similarity of the token alignment
   (`alignment.similarity`, SequenceMatcher's 2 * matched / (len(hyp) + len(ref))) is below
   `UNRELATED_BELOW` (0.5). Why that measure and that value: it is order-aware and is the same alignment
   the token-level analysis counts edits on (a Jaccard index of token sets ignores order and counts, and the
   tokens every function has inflate it). Any two functions share the `def ( ) : <NEWLINE> <INDENT> return`
   skeleton, so unrelated code does not score near 0; most random pairs of standard-library functions score
   below 0.5 and near misses above it (docs/measurements.md#the-unrelated-threshold-of-the-error-taxonomy).
   Checked before rules 5 and 6, so that those describe near misses.
5. `wrong_operator` — hyp compiles and is related, but its multiset of operator tokens (`OPERATORS`)
   differs from the reference's. Counted on tokens, so `*` in `*args` and `in` in `for x in y` count as
   well; both sequences are counted the same way.
6. `wrong_variable` — as 5 with the same operators, but hyp reads a name it should not:
   - an undefined name: read (an `ast.Name` in Load context) but never bound in hyp — not a parameter
     (of the function, a nested function or a lambda), an assignment / augmented-assignment / walrus /
     `del` target, a `for` / `with ... as` / `except ... as` / `import` / comprehension / `match`
     capture target, a nested `def` / `class` name, a name declared `global` / `nonlocal` — and neither
     a builtin nor a free name of the reference (the reference's own unbound names are the module
     globals the function legitimately uses, such as `os` or a helper function); or
   - a foreign identifier: a name read or an attribute (`x.attr`) that appears nowhere among the
     reference's identifiers, builtins excepted (`self.size` where the reference has `self.length`).
7. `other_mismatch` — hyp compiles, is related, same operators, no variable problem, but is not an exact
   match.
"""
from __future__ import annotations

import ast
import builtins
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence

from lib.evaluation.alignment import OPERATORS, similarity
from lib.evaluation.metrics import compile_error
from lib.tokens.code_tokens import DEDENT, INDENT, NEWLINE, detokenize
from lib.tokens.kinds import is_name

ERROR_CLASSES = (
    "correct",
    "indentation_error",
    "syntax_error",
    "unrelated",
    "wrong_operator",
    "wrong_variable",
    "other_mismatch",
)

# OPERATORS, the tokens `wrong_operator` compares, are defined with the token types in lib.evaluation.alignment.
UNRELATED_BELOW = 0.5  # alignment similarity under which a compiling output is `unrelated` (rule 4)

BUILTINS = frozenset(dir(builtins)) | {"__class__"}  # __class__: the implicit cell of methods


def _parse(code: str) -> ast.Module | SyntaxError:
    """The tree of `code`, or the SyntaxError (IndentationError, TabError included) it raises."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.parse(code)
    except SyntaxError as error:
        return error
    except (ValueError, RecursionError, MemoryError) as error:  # null bytes, absurd nesting
        return SyntaxError(str(error))


def layout_unbalanced(tokens: Sequence[str]) -> bool:
    """True when a <DEDENT> goes below level 0 or a line ending in `:` is not followed by <INDENT>."""
    depth = 0
    for index, token in enumerate(tokens):
        if token == DEDENT:
            depth -= 1
            if depth < 0:
                return True
        elif token == INDENT:
            depth += 1
        elif token == ":":
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if following in (NEWLINE, None):
                # A block opener: the next token after its NEWLINE (or the end) must be an INDENT.
                after = tokens[index + 2] if following == NEWLINE and index + 2 < len(tokens) else None
                if after != INDENT:
                    return True
    return False


def operator_counts(tokens: Iterable[str]) -> Counter:
    """Multiset of the operator tokens (see `OPERATORS`) in a token sequence."""
    return Counter(token for token in tokens if token in OPERATORS)


def _target_names(node: ast.AST) -> set[str]:
    """Names bound by an argument list, an import or a match pattern (Store-context Names aside)."""
    if isinstance(node, ast.arguments):
        args = node.posonlyargs + node.args + node.kwonlyargs + [a for a in (node.vararg, node.kwarg) if a]
        return {arg.arg for arg in args}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        # `import os.path` binds `os`; `from x import *` binds nothing we can know.
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names if alias.name != "*"}
    if isinstance(node, (ast.MatchAs, ast.MatchStar)):
        return {node.name} if node.name else set()
    if isinstance(node, ast.MatchMapping):
        return {node.rest} if node.rest else set()
    return set()


def bound_names(tree: ast.AST) -> set[str]:
    """Every name the code binds anywhere (all scopes together: a name bound in any nested scope counts,
    which errs towards not flagging)."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)  # assignment, for, with-as, comprehension and walrus targets
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
        else:
            bound |= _target_names(node)
    return bound


def read_names(tree: ast.AST) -> set[str]:
    """Names read (Load context)."""
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def attribute_names(tree: ast.AST) -> set[str]:
    """Attribute names used (`x.attr`), in any context."""
    return {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}


def free_names(tree: ast.AST) -> set[str]:
    """Names read but bound nowhere in the code, builtins excepted: the globals it relies on."""
    return read_names(tree) - bound_names(tree) - BUILTINS


def identifiers(tokens: Iterable[str]) -> set[str]:
    """Identifier tokens (not keywords) of a token sequence."""
    return {t for t in tokens if is_name(t)}


def variable_problems(hyp_tree: ast.AST, ref_tokens: Sequence[str]) -> dict[str, set[str]]:
    """{"undefined": ..., "foreign": ...} names of a parsed hypothesis, as rule 5 defines them."""
    ref_identifiers = identifiers(ref_tokens)
    ref_tree = _parse(detokenize(ref_tokens))
    # An unparsable reference (e.g. a truncated one) has no scopes: its identifiers stand in for its globals.
    ref_globals = ref_identifiers if isinstance(ref_tree, SyntaxError) else free_names(ref_tree)
    undefined = free_names(hyp_tree) - ref_globals
    foreign = (read_names(hyp_tree) | attribute_names(hyp_tree)) - ref_identifiers - BUILTINS
    return {"undefined": undefined, "foreign": foreign}


def classify(hyp_tokens: Sequence[str], ref_tokens: Sequence[str]) -> str:
    """The error class (one of `ERROR_CLASSES`) of a decoded token sequence; rules in the module docstring."""
    hyp_tokens, ref_tokens = list(hyp_tokens), list(ref_tokens)
    if hyp_tokens == ref_tokens:
        return "correct"
    code = detokenize(hyp_tokens)
    error = compile_error(code)
    if error is not None:
        if isinstance(error, IndentationError) or layout_unbalanced(hyp_tokens):  # TabError ⊂ IndentationError
            return "indentation_error"
        return "syntax_error"
    if similarity(hyp_tokens, ref_tokens) < UNRELATED_BELOW:
        return "unrelated"
    if operator_counts(hyp_tokens) != operator_counts(ref_tokens):
        return "wrong_operator"
    if any(variable_problems(_parse(code), ref_tokens).values()):  # it compiles, so it parses
        return "wrong_variable"
    return "other_mismatch"


def summarize(classes: Sequence[str]) -> dict[str, dict[str, float]]:
    """{class: {"count": n, "rate": n / total}} for every class in `ERROR_CLASSES` order, plus
    "syntax_error_total": syntax_error + indentation_error (indentation errors are a kind of syntax
    error; the two classes are disjoint, this reports their union). Rates are 0.0 for no outputs."""
    unknown = set(classes) - set(ERROR_CLASSES)
    if unknown:
        raise ValueError(f"unknown error classes: {sorted(unknown)}")
    counts = Counter(classes)
    total = len(classes)
    summary = {name: {"count": counts[name], "rate": counts[name] / total if total else 0.0}
               for name in ERROR_CLASSES}
    both = counts["syntax_error"] + counts["indentation_error"]
    summary["syntax_error_total"] = {"count": both, "rate": both / total if total else 0.0}
    return summary
