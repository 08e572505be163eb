import ast

import pytest
import torch

from lib.decoding.constraints import SyntaxConstraint
from lib.tokens.code_tokens import DEDENT, INDENT, NEWLINE, detokenize, tokenize_code
from lib.tokens.vocabulary import EOS_ID, SPECIALS, Vocabulary

VOCAB = Vocabulary([*SPECIALS, NEWLINE, INDENT, DEDENT, "def", "f", "(", ")", "[", "]", ":", "return", "x", "+", "if",
                    "self", "y", ".", ",", "=", "==", "not", "in", "for", "lambda", "else", "pass", "'a'", "'b'", "1",
                    "from", "import", "*", "/", "None", "class", "{", "}", "try", "except", "max@_", "value"])
CONSTRAINT = SyntaxConstraint(VOCAB)
NAMES = {"f", "x", "self", "y", "value", "max@_", "<unk>"}
LITERALS = {"'a'", "'b'", "1", "None"}


def state_after(tokens, constraint=CONSTRAINT):
    """The state after `tokens`, each checked to be allowed on the way."""
    state = constraint.initial()
    for token in tokens:
        assert not constraint.forbidden(state)[VOCAB.stoi[token]], f"{token} forbidden after {tokens}"
        state = constraint.advance(state, VOCAB.stoi[token])
    return state


def allowed_after(tokens, constraint=CONSTRAINT):
    mask = constraint.forbidden(state_after(tokens, constraint))
    return {VOCAB.itos[i] for i in range(len(VOCAB)) if not mask[i]}


def finish(tokens, max_len):
    """`tokens`, then the only continuation the budget leaves (`x` where any operand may come), up to EOS."""
    constraint = SyntaxConstraint(VOCAB, max_len=max_len)
    out = list(tokens)
    while len(out) < max_len:
        allowed = allowed_after(out, constraint)
        if allowed == {"<eos>"}:
            break
        assert len(allowed) == 1 or allowed <= NAMES | LITERALS, f"a choice is left after {out}: {allowed}"
        out.append(next(iter(allowed)) if len(allowed) == 1 else "x")
    return out


def test_a_real_function_is_allowed_all_the_way():
    tokens = ["def", "f", "(", "x", ")", ":", NEWLINE, INDENT, "if", "x", ":", NEWLINE, INDENT,
              "return", "x", NEWLINE, DEDENT, "return", "[", "x", "]"]
    assert "<eos>" in allowed_after(tokens)
    ast.parse(detokenize(tokens))


def test_brackets_close_in_order_and_block_newline_and_eos():
    allowed = allowed_after(["f", "(", "["])
    assert "]" in allowed and ")" not in allowed
    assert NEWLINE not in allowed and "<eos>" not in allowed


def test_a_colon_line_must_be_followed_by_an_indent():
    assert allowed_after(["if", "x", ":", NEWLINE]) == {INDENT}
    assert INDENT not in allowed_after(["x", NEWLINE])


def test_dedent_only_at_line_start_above_level_zero():
    assert DEDENT not in allowed_after(["x", NEWLINE])
    assert DEDENT in allowed_after(["if", "x", ":", NEWLINE, INDENT, "x", NEWLINE])
    assert DEDENT not in allowed_after(["if", "x", ":", NEWLINE, INDENT, "x"])


def test_no_eos_or_newline_after_a_dangling_operator_and_no_special_tokens():
    allowed = allowed_after(["return", "x", "+"])
    assert "<eos>" not in allowed and NEWLINE not in allowed
    assert not {"<pad>", "<bos>"} & allowed_after([])
    assert CONSTRAINT.forbidden_batch([CONSTRAINT.initial()] * 3).shape == (3, len(VOCAB))
    assert EOS_ID == VOCAB.stoi["<eos>"]


def test_open_brackets_are_closed_within_the_length_budget():
    budgeted = SyntaxConstraint(VOCAB, max_len=6)
    state = budgeted.initial()
    for token in ["f", "(", "[", "x"]:
        state = budgeted.advance(state, VOCAB.stoi[token])
    allowed = lambda s: {VOCAB.itos[i] for i in range(len(VOCAB)) if not budgeted.forbidden(s)[i]}  # noqa: E731
    assert allowed(state) == {"]"}  # two steps left, two brackets open
    state = budgeted.advance(state, VOCAB.stoi["]"])
    assert allowed(state) == {")"}
    assert "+" in allowed_after(["f", "(", "[", "x"])  # without a budget anything goes


def test_no_new_line_is_started_without_room_for_it():
    budgeted = SyntaxConstraint(VOCAB, max_len=12)
    state = budgeted.initial()
    for token in ["return", "x", NEWLINE]:
        state = budgeted.advance(state, VOCAB.stoi[token])
    assert not budgeted.forbidden(state)[VOCAB.stoi["<eos>"]]
    assert budgeted.forbidden(state).sum() == len(VOCAB) - 1  # nine steps left: only EOS


def test_after_a_dot_only_a_name():
    assert allowed_after(["return", "self", "."]) == NAMES
    assert allowed_after(["class"]) == NAMES and allowed_after(["def"]) == NAMES
    assert allowed_after(["def", "f"]) == {"("}
    # a sub-word piece is continued by any word piece: a name, digits, even a keyword's letters (`is@@ in@@ f`)
    words = {t for t in VOCAB.itos if t.isidentifier() or t.isdigit()} | {"<unk>", "max@_"}
    assert allowed_after(["x", "=", "max@_"]) == words
    assert "in" in words and "1" in words


def test_a_keyword_or_digits_after_a_piece_end_a_name():
    after_name = allowed_after(["x", "=", "max@_", "value"])
    assert allowed_after(["x", "=", "max@_", "in"]) == after_name  # `max_in`, not the operator `in`
    assert allowed_after(["x", "=", "max@_", "1"]) == after_name
    assert allowed_after(["for", "max@_", "for"]) == allowed_after(["for", "x"])  # `for max_for` awaits `in`


def test_no_closer_after_an_operator_or_an_empty_subscript():
    assert ")" not in allowed_after(["f", "(", "x", "+"])
    assert ")" not in allowed_after(["f", "(", "self", "."])
    assert "]" not in allowed_after(["x", "["]) and "]" in allowed_after(["x", "=", "["])  # x[] / x = []
    assert ":" in allowed_after(["x", "["]) and "]" in allowed_after(["x", "[", ":"])  # x[:]
    assert "}" not in allowed_after(["x", "=", "{", "x", ":"])  # {x:}


def test_operators_that_need_a_left_operand():
    assert not {"=", "==", ",", ".", "in"} & allowed_after([])
    assert not {",", "==", "=", "for", "if"} & allowed_after(["f", "("])
    assert "==" not in allowed_after(["x", "="]) and "=" not in allowed_after(["return"])
    assert "in" in allowed_after(["x", "=", "y", "not"])  # `not in`
    assert allowed_after(["return", "x", "not"]) == {"in"}


def test_two_operands_never_follow_each_other_but_strings_may():
    assert not NAMES & allowed_after(["return", "x"]) and "1" not in allowed_after(["return", "x"])
    assert "'b'" in allowed_after(["return", "'a'"]) and "x" not in allowed_after(["return", "'a'"])
    assert "x" not in allowed_after(["return", "f", "(", ")"])


def test_statements_start_lines_and_pass_ends_them():
    assert "return" not in allowed_after(["x", "="]) and "return" in allowed_after(["if", "x", ":"])
    assert allowed_after(["if", "x", ":", NEWLINE, INDENT, "pass"]) == {NEWLINE, "<eos>"}
    assert "=" not in allowed_after(["if", "x"]) and "=" in allowed_after(["x"])
    assert "=" in allowed_after(["f", "(", "x"]) and "=" not in allowed_after(["f", "(", "self", ".", "x"])


def test_block_headers_end_with_a_colon_and_blocks_get_a_statement():
    assert not {NEWLINE, "<eos>"} & allowed_after(["if", "x"])
    assert ":" not in allowed_after(["for", "x"]) and ":" in allowed_after(["for", "x", "in", "y"])
    assert ":" not in allowed_after(["return", "x"]) and ":" in allowed_after(["x"])  # x: int
    assert "," not in allowed_after(["if", "x"])
    assert not {DEDENT, "<eos>"} & allowed_after(["if", "x", ":", NEWLINE, INDENT])
    assert allowed_after(["def", "f", "("]) == NAMES | {"*", ")"}
    assert allowed_after(["def", "f", "(", "x"]) == {",", ")", ":", "="}


def test_lambdas_and_conditional_expressions_get_their_colon_and_else():
    assert not {NEWLINE, "<eos>", ")"} & allowed_after(["f", "(", "lambda", "x"])
    assert ":" in allowed_after(["f", "(", "lambda", "x"]) and ":" not in allowed_after(["f", "(", "x"])
    assert not {NEWLINE, "<eos>"} & allowed_after(["x", "=", "y", "if", "x"])
    assert "else" in allowed_after(["x", "=", "y", "if", "x"]) and "else" not in allowed_after(["x", "=", "y"])


@pytest.mark.parametrize("code", [
    "from . import x", "from .x import y", "def f(x, /, y):\n    pass", "def f(x, *, y=1):\n    return x[:]",
    "x = lambda: None", "x = f(y=lambda x: x if x else None)", "x = [y for y in x if y]",
    "try:\n    x\nexcept y:\n    pass", "x = {'a': 1}", "raise x('a') from None", "x = yield from f()",
    "@f(x=1)\ndef f(x, *y, z: int = 1, **k) -> None:\n    pass", "return f(x)[1:-1:2]", "x: int = 1",
    "if not x in y:\n    pass\nelif x is not None:\n    pass", "return lambda x=1: x", "s = 'a' 'b'",
])
def test_valid_forms_stay_allowed(code):
    tokens = tokenize_code(code, drop_docstring=False)
    vocab = Vocabulary([*SPECIALS, *sorted(set(tokens))])
    constraint = SyntaxConstraint(vocab)
    state = constraint.initial()
    for token in tokens:
        assert not constraint.forbidden(state)[vocab.stoi[token]], f"{token} forbidden in {code!r}"
        state = constraint.advance(state, vocab.stoi[token])
    assert not constraint.forbidden(state)[EOS_ID]


@pytest.mark.parametrize("prefix, max_len, expected", [
    (["def", "f", "(", "x", ",", "y"], 11, "def f(x, y):\n    x\n"),
    (["return", "self", ".", "f", "(", "x", ",", "self"], 9, "return self.f(x, self)\n"),
    (["return", "self", ".", "f", "(", "x", ",", "self", "."], 11, "return self.f(x, self.x)\n"),
    (["for", "x"], 8, "for x in x:\n    x\n"),
    (["x", "=", "lambda"], 6, "x = lambda x: x\n"),
    (["return", "x", "if", "y"], 6, "return x if y else x\n"),
    (["return", "x", "not"], 5, "return x not in x\n"),
])
def test_the_budget_completes_what_is_open(prefix, max_len, expected):
    """What the length budget leaves is the shortest completion, and it parses."""
    tokens = finish(prefix, max_len)
    assert detokenize(tokens) == expected
    ast.parse(detokenize(tokens))


def test_no_dot_without_room_for_its_name_and_the_bracket():
    """The lstm model's `... self.)`: with two steps left after `self`, `.` cannot be finished."""
    prefix = ["return", "self", ".", "f", "(", "x", ",", "self"]
    assert "." not in allowed_after(prefix, SyntaxConstraint(VOCAB, max_len=10))
    assert "." in allowed_after(prefix, SyntaxConstraint(VOCAB, max_len=11))


def test_import_from_and_else_only_where_they_belong():
    assert not {"import", "from"} & allowed_after(["f", "(", "x"]) and "else" not in allowed_after(["return", "x"])
    assert "import" in allowed_after(["from", "x"]) and "from" in allowed_after([])
    assert NEWLINE not in allowed_after(["return", "x", "if", "y", "else"])


def test_a_clause_starts_a_line_only_after_a_block_it_continues():
    body = ["<NEWLINE>", "<INDENT>", "return", "x", "<NEWLINE>", "<DEDENT>"]
    assert {"else", "except"} <= allowed_after(["try", ":", *body])
    assert "else" in allowed_after(["if", "x", ":", *body]) and "except" not in allowed_after(["if", "x", ":", *body])
    assert "else" in allowed_after(["for", "x", "in", "y", ":", *body])
    assert not {"else", "except"} & allowed_after(["if", "x", ":", *body, "else", ":", *body])
    assert not {"else", "except"} & allowed_after(["x", "=", "1", "<NEWLINE>"])  # no block just ended
    # two blocks end at once: the clause continues the outer one
    nested = ["if", "x", ":", "<NEWLINE>", "<INDENT>", "for", "y", "in", "x", ":", *body, "<DEDENT>"]
    assert "else" in allowed_after(nested)
    assert "else" not in allowed_after(["if", "x", ":", *body, "else", ":", "<NEWLINE>", "<INDENT>", "for", "y",
                                        "in", "x", ":", *body, "<DEDENT>"])


def test_an_output_that_opens_a_function_never_leaves_it():
    body = ["def", "f", "(", ")", ":", "<NEWLINE>", "<INDENT>", "return", "x", "<NEWLINE>"]
    assert "<DEDENT>" not in allowed_after(body)  # `return x` after the function would not compile
    assert "<eos>" in allowed_after(body)
    inner = ["def", "f", "(", ")", ":", "<NEWLINE>", "<INDENT>", "if", "x", ":", "<NEWLINE>", "<INDENT>", "pass",
             "<NEWLINE>"]
    assert "<DEDENT>" in allowed_after(inner)  # back to the function's body: fine
    assert "<DEDENT>" in allowed_after(["for", "x", "in", "y", ":", "<NEWLINE>", "<INDENT>", "pass", "<NEWLINE>"])


def test_batched_masks_are_computed_once_per_state_and_equal_the_single_ones():
    constraint = SyntaxConstraint(VOCAB, max_len=12)
    states = [state_after(tokens, constraint) for tokens in (["def", "f", "("], [], ["def", "f", "("])]
    first = constraint.forbidden_batch(states)
    first[0] = True  # the batch is a copy: changing it leaves the cached masks alone
    again = constraint.forbidden_batch(states)
    assert torch.equal(again, torch.stack([constraint.forbidden(state) for state in states]))
    assert torch.equal(again[0], again[2]) and not again[0].all()
    assert constraint._cached_forbidden.cache_info().hits >= 3
