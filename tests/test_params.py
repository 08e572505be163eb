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


def test_dvc_set_rewrites_only_the_lines_it_sets(tmp_path):
    """`dvc exp run -S` round-trips params.yaml through ruamel: block-style lists in its layout stay as written."""
    from dvc.utils.serialize import modify_yaml

    original = (Path(__file__).resolve().parent.parent / "params.yaml").read_text()
    edited = tmp_path / "params.yaml"
    edited.write_text(original)
    with modify_yaml(edited) as params:
        params["train"]["seed"] = 7
        params["split"]["n_train"] = 1000
    changed = [(a, b) for a, b in zip(original.splitlines(), edited.read_text().splitlines()) if a != b]
    assert changed == [("  n_train: 8000", "  n_train: 1000"), ("  seed: 42", "  seed: 7")]
    assert len(edited.read_text().splitlines()) == len(original.splitlines())
