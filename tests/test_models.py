"""The three assignment models: shapes, padding, loss over real positions only, teacher forcing below 1.

The copy model's output layer has its own tests (tests/test_pointer.py)."""
import pytest
import torch

from lib.models.batching import collate
from lib.models.output_layers import AdaptiveSoftmax, usable_cutoffs
from lib.models.seq2seq import build_model

KINDS = ("rnn", "lstm", "attn")
CONFIG = {"emb_dim": 8, "hidden_dim": 12, "dropout": 0.0, "num_layers": 1, "attention_dim": 10,
          "adaptive_cutoffs": []}
PAIRS = [([5, 6, 7, 8, 2], [1, 9, 10, 11, 2]), ([5, 2], [1, 12, 13, 14, 15, 16, 2]), ([7, 8, 9, 2], [1, 9, 2])]


def model(kind, **overrides):
    torch.manual_seed(0)
    return build_model(kind, 20, 30, {**CONFIG, **overrides}).eval()


@pytest.mark.parametrize("kind", KINDS)
def test_shapes(kind):
    m = model(kind)
    batch = collate(PAIRS)
    encoded = m.encode(batch.src, batch.src_lengths)
    enc_dim = 24 if kind == "attn" else 12
    assert encoded.outputs.shape == (3, 5, enc_dim) and encoded.mask.shape == (3, 5)
    features, attention = m(batch.src, batch.src_lengths, batch.tgt_in)
    assert features.shape == (3, 6, 12)
    if kind == "attn":
        assert attention.shape == (3, 6, 5)
        assert torch.all(attention[1, :, 2:] == 0)  # source 1 has 2 real positions
        assert torch.allclose(attention.sum(-1), torch.ones(3, 6))
    else:
        assert attention is None
    log_probs, state, step_attention = m.decode_step(encoded, m.init_decoder_state(encoded), batch.tgt_in[:, 0])
    assert log_probs.shape == (3, 30)
    assert torch.allclose(log_probs.exp().sum(-1), torch.ones(3))
    assert (step_attention is None) == (kind != "attn")


@pytest.mark.parametrize("kind", KINDS)
def test_padding_does_not_change_encodings_of_real_tokens(kind):
    m = model(kind)
    alone = collate([PAIRS[1]])
    padded = collate(PAIRS)  # PAIRS[1] is padded from 2 to 5 source tokens there
    a = m.encode(alone.src, alone.src_lengths)
    b = m.encode(padded.src, padded.src_lengths)
    assert torch.allclose(a.outputs[0], b.outputs[1, :2], atol=1e-6)
    assert torch.all(b.outputs[1, 2:] == 0)
    for x, y in zip(state_row(m.init_decoder_state(a), 0), state_row(m.init_decoder_state(b), 1)):
        assert torch.allclose(x, y, atol=1e-6)


def state_row(state, row):
    """The decoder state of one batch row: rnn h / lstm (h, c) are [layers, batch, hidden], attn [batch, hidden]."""
    parts = state if isinstance(state, tuple) else (state,)
    return [p[:, row] if p.dim() == 3 else p[row] for p in parts]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cutoffs", [[], [8, 20]])
def test_loss_counts_only_real_positions(kind, cutoffs):
    m = model(kind, adaptive_cutoffs=cutoffs, hidden_dim=16)
    assert isinstance(m.output_layer, AdaptiveSoftmax) == bool(cutoffs)
    together = m.loss(collate(PAIRS))
    separately = sum(m.loss(collate([p])) for p in PAIRS)
    assert torch.allclose(together, separately, rtol=1e-5)
    batch = collate(PAIRS)
    features, _ = m(batch.src, batch.src_lengths, batch.tgt_in)
    real = batch.tgt_out != 0
    log_probs = m.output_layer.log_probs(features[real])
    assert torch.allclose(-log_probs.gather(1, batch.tgt_out[real][:, None]).sum(), together, rtol=1e-5)
    assert torch.equal(m.output_layer.predict(features[real]), log_probs.argmax(-1))


@pytest.mark.parametrize("kind", KINDS)
def test_teacher_forcing_below_one_trains(kind):
    m = model(kind, dropout=0.1).train()
    batch = collate(PAIRS)
    torch.manual_seed(1)
    loss = m.loss(batch, teacher_forcing=0.5)
    loss.backward()
    assert torch.isfinite(loss)
    assert m.encoder.embedding.weight.grad.abs().sum() > 0
    # ratio 0 feeds only the model's own argmax: different inputs, different loss than full teacher forcing
    m.eval()
    full = m.loss(batch)
    m.train()
    m.encoder.dropout.p = m.decoder.dropout.p = 0.0
    none = m.loss(batch, teacher_forcing=0.0)
    assert not torch.allclose(full, none)


def test_shape_checks_and_cutoffs():
    m = model("lstm")
    with pytest.raises(ValueError, match="src"):
        m.encode(torch.zeros(3, dtype=torch.long), torch.tensor([3]))
    with pytest.raises(ValueError, match="unknown model kind"):
        build_model("gru", 10, 10, CONFIG)
    assert usable_cutoffs([1000, 4000], 8699) == [1000, 4000]
    assert usable_cutoffs([1000, 4000], 2000) == [1000]
    assert usable_cutoffs([1000, 4000], 500) == []


def test_attention_memory_gets_dropout_in_training_only():
    m = model("attn", dropout=0.5)
    m.encoder.dropout.p = 0.0  # the embeddings' dropout off: only the memory's acts
    batch = collate(PAIRS)
    outputs, _ = m.encoder(batch.src, batch.src_lengths)
    m.train()
    dropped = m.encode(batch.src, batch.src_lengths).outputs
    kept = dropped != 0
    assert 0.3 < kept[outputs != 0].float().mean() < 0.7  # about half of the memory is dropped ...
    assert torch.allclose(dropped[kept], 2 * outputs[kept])  # ... and the rest scaled by 1 / (1 - p)
    m.eval()
    assert torch.equal(m.encode(batch.src, batch.src_lengths).outputs, outputs)
