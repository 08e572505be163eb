from pathlib import Path

import pytest

from lib.common.params import ParamError, get, load_params
from lib.tokens.vocabulary import Vocabulary

PARAMS = {"split": {"n_train": 10, "source": "python", "fraction": 1, "flag": True}}


def test_valid_values_pass_and_ints_widen_to_float():
    assert get(PARAMS, "split.n_train", int, minimum=1) == 10
    assert get(PARAMS, "split.fraction", float) == 1.0


@pytest.mark.parametrize("key, kind, options, message", [
    ("split.n_valid", int, {}, "missing key split.n_valid"),
    ("split.n_train", str, {}, "split.n_train must be str"),
    ("split.n_train", int, {"minimum": 20}, "split.n_train must be at least 20"),
    ("split.source", str, {"choices": ("hub", "files")}, "must be one of hub, files"),
    ("split.flag", int, {}, "split.flag must be int"),
])
def test_bad_values_name_the_key(key, kind, options, message):
    with pytest.raises(ParamError, match=message):
        get(PARAMS, key, kind, **options)


def test_the_repository_params_are_valid_yaml():
    assert {"data", "tokenize", "split"} <= set(load_params(Path(__file__).parents[1] / "params.yaml"))


def test_vocabulary_keeps_frequent_tokens_in_a_stable_order():
    vocab = Vocabulary.build([["b", "a", "a"], ["c", "b"]], min_freq=2, max_size=10)
    assert vocab.itos == ["<pad>", "<bos>", "<eos>", "<unk>", "a", "b"]
    assert vocab.encode(["a", "z"], bos_eos=True) == [1, 4, 3, 2]
    assert vocab.decode([1, 4, 5, 2, 4]) == ["a", "b"]
    assert vocab.oov_rate([["a", "z"]]) == 0.5
