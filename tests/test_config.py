"""The one params loader: typed sections, every key checked, one line per bad key."""
import copy
from pathlib import Path

import pytest
import yaml

from lib.common.config import (BENCHMARKS, HEATMAP_RULES, ParamError, TrainConfig, as_dict, from_mapping,
                               load_config)
from lib.tokens.vocabulary import Vocabulary

PARAMS_FILE = Path(__file__).resolve().parents[1] / "params.yaml"
PARAMS = yaml.safe_load(PARAMS_FILE.read_text())


def edited(edit) -> dict:
    params = copy.deepcopy(PARAMS)
    edit(params)
    return params


def test_the_repository_params_load_as_typed_sections():
    config = load_config(PARAMS_FILE)
    assert isinstance(config.train, TrainConfig) and config.train.lr == PARAMS["train"]["lr"]
    assert config.train.adaptive_cutoffs == tuple(PARAMS["train"]["adaptive_cutoffs"])
    assert config.model_section("attn").attention_dim == PARAMS["attn"]["attention_dim"]
    assert as_dict(config.decode) == PARAMS["decode"]  # plain again: lists, not tuples
    assert as_dict(config.train) == PARAMS["train"]


@pytest.mark.parametrize("edit, message", [
    (lambda p: p["train"].update(learnig_rate=0.01), r"train\.learnig_rate: unknown key; did you mean train\.lr\?"),
    (lambda p: p.update(decod={"beam_size": 3}), r"decod: unknown section; did you mean decode\?"),
    (lambda p: p["data"]["hub"].update(revison="x"), r"data\.hub\.revison: unknown key; did you mean data\.hub\.revision"),
    (lambda p: p["split"].pop("n_valid"), r"missing key split\.n_valid"),
    (lambda p: p["split"].update(n_train="many"), r"split\.n_train must be int, got 'many'"),
    (lambda p: p["split"].update(n_train=0), r"split\.n_train must be at least 1, got 0"),
    (lambda p: p["train"].update(bucketing=1), r"train\.bucketing must be bool"),
    (lambda p: p["train"].update(lr=True), r"train\.lr must be float"),
    (lambda p: p["train"].update(adaptive_cutoffs=[50, 10]), r"train\.adaptive_cutoffs must be increasing"),
    (lambda p: p["decode"].update(beam_size=0), r"decode\.beam_size must be at least 1"),
    (lambda p: p["data"].update(source="ftp"), r"data\.source must be one of python, hub, files"),
    (lambda p: p["data"].update(source="hub") or p["data"].pop("hub"), r"missing key data\.hub"),
    (lambda p: p["visualize"].update(probes=[{"docstring": "fine", "reference": 3}]),
     r"visualize\.probes\[0\]\.reference must be str, got 3"),
    (lambda p: p["tokenize"].update(min_src_len=60), r"tokenize\.min_src_len must be at most"),
    (lambda p: p["evaluate"].update(length_buckets=[10, 5]), r"evaluate\.length_buckets must be increasing"),
])
def test_a_bad_setting_is_refused_in_one_line_naming_it(edit, message):
    with pytest.raises(ParamError, match=message) as error:
        from_mapping(edited(edit))
    assert "\n" not in str(error.value) and isinstance(error.value, ValueError)


def test_learning_rates_in_exponent_notation_and_integers_read_as_floats():
    """PyYAML reads `1e-4` as text (YAML 1.1 wants a dot); DVC reads it as a number: both must work."""
    config = from_mapping(edited(lambda p: p["train"].update(lr=yaml.safe_load("lr: 1e-4")["lr"], lr_decay=1)))
    assert config.train.lr == 1e-4 and config.train.lr_decay == 1.0
    with pytest.raises(ParamError, match="train.lr must be float, got '1e-4x'"):
        from_mapping(edited(lambda p: p["train"].update(lr="1e-4x")))


def test_the_choices_named_here_are_the_ones_implemented():
    from lib.evaluation.metrics import BENCHMARK_TOKENIZERS
    from lib.study.interpretation import RULE_DESCRIPTIONS
    assert tuple(BENCHMARK_TOKENIZERS) == BENCHMARKS and tuple(RULE_DESCRIPTIONS) == HEATMAP_RULES


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
