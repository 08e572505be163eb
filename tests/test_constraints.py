import ast

from lib.decoding.constraints import SyntaxConstraint
from lib.tokens.code_tokens import DEDENT, INDENT, NEWLINE, detokenize
from lib.tokens.vocabulary import EOS_ID, SPECIALS, Vocabulary

VOCAB = Vocabulary([*SPECIALS, NEWLINE, INDENT, DEDENT, "def", "f", "(", ")", "[", "]", ":", "return", "x", "+", "if"])
CONSTRAINT = SyntaxConstraint(VOCAB)


def allowed_after(tokens):
    state = CONSTRAINT.initial()
    for token in tokens:
        assert not CONSTRAINT.forbidden(state)[VOCAB.stoi[token]], f"{token} forbidden after {tokens}"
        state = CONSTRAINT.advance(state, VOCAB.stoi[token])
    mask = CONSTRAINT.forbidden(state)
    return {VOCAB.itos[i] for i in range(len(VOCAB)) if not mask[i]}


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
    assert "x" in allowed_after(["f", "(", "[", "x"])  # without a budget anything goes


def test_no_new_line_is_started_without_room_for_it():
    budgeted = SyntaxConstraint(VOCAB, max_len=12)
    state = budgeted.initial()
    for token in ["return", "x", NEWLINE]:
        state = budgeted.advance(state, VOCAB.stoi[token])
    assert not budgeted.forbidden(state)[VOCAB.stoi["<eos>"]]
    assert budgeted.forbidden(state).sum() == len(VOCAB) - 1  # nine steps left: only EOS
