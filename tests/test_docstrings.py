import pytest

from lib.tokens.docstrings import summarize, tokenize_summary


@pytest.mark.parametrize("docstring, summary", [
    ("Return the sum of a list.\n\n    Longer explanation.", "Return the sum of a list."),
    ("Compute stuff. Then more stuff.", "Compute stuff."),
    ("Load a file\nfrom disk.\n:param path: where", "Load a file from disk."),
    ("Parse text.\n\nArgs:\n    text: the text", "Parse text."),
    ("Sort values.\n\nParameters\n----------\nx : array", "Sort values."),
    ("Square a number\n>>> square(2)\n4", "Square a number"),
    ("See :func:`~os.path.join` and `docs <https://x.org>`_ at https://x.org now.",
     "See os.path.join and docs at now."),
    (":param x: only fields", ""),
])
def test_summary_is_the_first_sentence_without_markup(docstring, summary):
    assert summarize(docstring) == summary


def test_tokens_split_dotted_names_and_lower_case_an_ordinary_first_word():
    assert tokenize_summary("Return os.path of the file_name.") == ["return", "os", ".", "path", "of", "the", "file_name"]


def test_identifiers_keep_their_case():
    assert tokenize_summary("DataFrame from HTTP response") == ["DataFrame", "from", "HTTP", "response"]


def test_first_sentence_and_markup_steps_can_be_turned_off():
    text = "Multiply `a * b` as https://x.org/mul says. Then print it."
    assert summarize(text) == "Multiply a b as says."
    assert summarize(text, first_sentence=False) == "Multiply a b as says. Then print it."
    assert summarize(text, strip_markup=False) == "Multiply `a * b` as https://x.org/mul says."
    assert summarize(text, first_sentence=False, strip_markup=False) == text
    # The paragraph still ends where a library docstring's fields start.
    assert summarize("Add `x`.\n:param x: a number", first_sentence=False, strip_markup=False) == "Add `x`."
