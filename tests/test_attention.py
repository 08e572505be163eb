"""Bahdanau attention: masking, normalisation, shapes."""
import pytest
import torch

from lib.models.attention import BahdanauAttention


def test_weights_zero_on_padding_and_sum_to_one_over_real_positions():
    torch.manual_seed(0)
    attention = BahdanauAttention(key_size=6, attention_dim=5, query_size=4)
    keys = torch.randn(3, 7, 6)
    mask = torch.tensor([[True] * 7, [True] * 3 + [False] * 4, [True] + [False] * 6])
    context, weights = attention(torch.randn(3, 4), attention.compute_proj_keys(keys), keys, mask)
    assert context.shape == (3, 6) and weights.shape == (3, 7)
    assert torch.all(weights[~mask] == 0)
    assert torch.allclose(weights.sum(-1), torch.ones(3))
    assert torch.allclose(weights[2, 0], torch.tensor(1.0))
    assert torch.allclose(context[2], keys[2, 0])  # one real position: the context is its value


def test_padding_values_do_not_change_the_context():
    torch.manual_seed(1)
    attention = BahdanauAttention(key_size=6, attention_dim=5, query_size=4)
    keys = torch.randn(1, 5, 6)
    mask = torch.tensor([[True, True, True, False, False]])
    query = torch.randn(1, 4)
    changed = keys.clone()
    changed[0, 3:] = 100.0
    a = attention(query, attention.compute_proj_keys(keys), keys, mask)
    b = attention(query, attention.compute_proj_keys(changed), changed, mask)
    assert torch.allclose(a[0], b[0]) and torch.allclose(a[1], b[1])


def test_query_already_projected_and_shape_check():
    attention = BahdanauAttention(key_size=6, attention_dim=5)
    keys = torch.randn(2, 4, 6)
    mask = torch.ones(2, 4, dtype=torch.bool)
    context, weights = attention(torch.randn(2, 5), attention.compute_proj_keys(keys), keys, mask)
    assert context.shape == (2, 6) and weights.shape == (2, 4)
    with pytest.raises(ValueError, match="query"):
        attention(torch.randn(2, 4), attention.compute_proj_keys(keys), keys, mask)
    with pytest.raises(ValueError, match="mask"):
        attention(torch.randn(2, 5), attention.compute_proj_keys(keys), keys, mask[:, :3])
