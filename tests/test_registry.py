"""The registry of models: every entry has its params section, a builder and a colour of its own."""
import dataclasses

import pytest

from lib.common.config import Config
from lib.models.output_layers import LinearSoftmax
from lib.models.pointer import CopyGenerator
from lib.models.registry import ATTENTION_KINDS, MODEL_KINDS, MODELS, model_spec
from lib.models.seq2seq import architecture, build_model

CONFIG = {"emb_dim": 8, "hidden_dim": 8, "dropout": 0.0, "adaptive_cutoffs": [], "num_layers": 1,
          "attention_dim": 8, "lr": 0.1}


def test_the_four_models_in_their_order():
    assert MODEL_KINDS == ("rnn", "lstm", "attn", "copy") and ATTENTION_KINDS == ("attn", "copy")
    # the architecture keys the checkpoints store, in their order
    shared = ("emb_dim", "hidden_dim", "dropout", "adaptive_cutoffs")
    assert [MODELS[name].arch_keys for name in MODEL_KINDS] == [(*shared, "num_layers")] * 2 + [
        (*shared, "attention_dim")] * 2


@pytest.mark.parametrize("name", MODEL_KINDS)
def test_each_model_has_its_params_section(name):
    sections = {field.name: field.type for field in dataclasses.fields(Config)}
    assert sections[name] == MODELS[name].section.__name__


@pytest.mark.parametrize("name", MODEL_KINDS)
def test_each_spec_builds_its_model(name):
    spec = MODELS[name]
    model = build_model(name, 20, 30, CONFIG)
    assert model.spec is spec and model.kind == name
    assert isinstance(model.output_layer, CopyGenerator if spec.copy else LinearSoftmax)
    assert (model.encoder.num_directions == 2) == spec.bidirectional and model.encoder.cell == spec.cell
    assert list(architecture(name, CONFIG)) == list(spec.arch_keys)


def test_colours_are_distinct():
    assert len({spec.colour for spec in MODELS.values()}) == len(MODELS)


def test_an_unknown_model_or_a_combination_without_modules_is_refused():
    with pytest.raises(ValueError, match="unknown model kind 'gru'"):
        model_spec("gru")
    with pytest.raises(ValueError, match="no modules"):
        dataclasses.replace(MODELS["rnn"], copy=True)
    with pytest.raises(ValueError, match="no modules"):
        dataclasses.replace(MODELS["attn"], cell="rnn")
