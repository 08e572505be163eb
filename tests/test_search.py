"""Greedy decoding and beam search."""
import math

import pytest
import torch

from lib.decoding.search import Hypothesis, beam_search, greedy_decode, length_penalty_factor
from lib.models.batching import collate
from lib.models.encoders import EncoderOutput
from lib.models.seq2seq import build_model
from lib.tokens.vocabulary import BOS_ID, EOS_ID, PAD_ID, UNK_ID

CONFIG = {"emb_dim": 8, "hidden_dim": 16, "dropout": 0.0, "num_layers": 1, "attention_dim": 8,
          "adaptive_cutoffs": []}
EOS_BIAS = 2.0
STEPS = 15
SOURCES = [[4, 5, 6, 2], [7, 2], [5, 5, 5, 5, 5, 6, 2], [8, 9, 2], [6, 2]]


def model(kind, seed=0, steps=STEPS):
    """A tiny model trained briefly to copy (source id + 4), so that outputs vary in length and end."""
    torch.manual_seed(seed)
    m = build_model(kind, 12, 14, CONFIG)
    generator = torch.Generator().manual_seed(seed)
    pairs = []
    for _ in range(16):
        ids = torch.randint(4, 10, (int(torch.randint(1, 6, (1,), generator=generator)),), generator=generator)
        pairs.append(([*ids.tolist(), EOS_ID], [BOS_ID, *(ids + 4).tolist(), EOS_ID]))
    optimizer = torch.optim.Adam(m.parameters(), lr=0.03)
    batch = collate(pairs)
    for _ in range(steps):
        optimizer.zero_grad()
        (m.loss(batch) / batch.n_tokens).backward()
        optimizer.step()
    return m.eval()


@pytest.mark.parametrize("kind", ("rnn", "lstm", "attn"))  # copy: tests/test_pointer.py
@pytest.mark.parametrize("max_len", [12, 2])
def test_greedy_is_batched_in_order_and_scores_its_output(kind, max_len):
    m = model(kind)
    batched = greedy_decode(m, SOURCES, max_len=max_len, batch_size=2)
    alone = [greedy_decode(m, [s], max_len=max_len)[0] for s in SOURCES]
    assert [h.ids for h in batched] == [h.ids for h in alone]
    for src, hyp in zip(SOURCES, batched):
        assert isinstance(hyp, Hypothesis)
        assert len(hyp.ids) <= max_len and not {PAD_ID, BOS_ID, EOS_ID} & set(hyp.ids)
        assert hyp.ended or len(hyp.ids) == max_len
        # the score is the model's log-probability of exactly this output (+ EOS when it ended)
        target = [BOS_ID, *hyp.ids, EOS_ID]
        batch = collate([(src, target)])
        with torch.no_grad():
            features, _ = m(batch.src, batch.src_lengths, batch.tgt_in)
            log_probs = m.output_layer.log_probs(features[0])
        steps = len(hyp.ids) + (1 if hyp.ended else 0)
        expected = sum(float(log_probs[t, target[t + 1]]) for t in range(steps))
        assert hyp.score == pytest.approx(expected, abs=1e-4)
        if kind == "attn":
            assert hyp.attention.shape == (len(hyp.ids), len(src))
            assert torch.allclose(torch.from_numpy(hyp.attention).sum(-1), torch.ones(len(hyp.ids)), atol=1e-5)
        else:
            assert hyp.attention is None
    assert any(h.ended for h in batched) if max_len == 12 else not all(h.ended for h in batched)


@pytest.mark.parametrize("kind", ("rnn", "lstm", "attn"))  # copy: tests/test_pointer.py
def test_beam_of_one_equals_greedy(kind):
    m = model(kind, seed=1)
    greedy = greedy_decode(m, SOURCES, max_len=10, batch_size=3)
    beam = beam_search(m, SOURCES, beam_size=1, length_penalty=1.0, max_len=10, batch_size=3)
    for g, b in zip(greedy, beam):
        assert g.ids == b.ids and g.ended == b.ended
        assert g.score == pytest.approx(b.score, abs=1e-5)
        if kind == "attn":
            assert g.attention.shape == b.attention.shape
            assert torch.allclose(torch.from_numpy(g.attention), torch.from_numpy(b.attention), atol=1e-6)


@pytest.mark.parametrize("kind", ("rnn", "lstm", "attn"))  # copy: tests/test_pointer.py
def test_wider_beam_is_batched_and_well_formed(kind):
    m = model(kind, seed=2)
    batched = beam_search(m, SOURCES, beam_size=3, length_penalty=0.0, max_len=8, batch_size=6)
    alone = [beam_search(m, [s], beam_size=3, length_penalty=0.0, max_len=8)[0] for s in SOURCES]
    greedy = greedy_decode(m, SOURCES, max_len=8)
    for b, a, g, src in zip(batched, alone, greedy, SOURCES):
        assert b.ids == a.ids and b.score == pytest.approx(a.score, abs=1e-5)
        assert not {PAD_ID, BOS_ID, EOS_ID} & set(b.ids)
        if kind == "attn":
            assert b.attention.shape == (len(b.ids), len(src))
        if b.ended and g.ended:  # among complete outputs, the beam never does worse than greedy here
            assert b.score >= g.score - 1e-6


@pytest.mark.parametrize("search", [
    lambda m, **kw: greedy_decode(m, SOURCES, max_len=8, batch_size=2, **kw),
    lambda m, **kw: beam_search(m, SOURCES, beam_size=2, max_len=8, batch_size=4, **kw),  # 2 sources a batch
], ids=["greedy", "beam"])
def test_each_decoded_batch_is_reported_and_changes_nothing(search):
    m = model("attn", seed=3)
    reported = []
    with_report = search(m, on_batch_done=reported.append)
    assert reported == [2, 2, 1]  # every source once, as its batch ends
    assert [h.ids for h in with_report] == [h.ids for h in search(m)]


class TableModel:
    """A fake model whose next-token distribution depends only on the previous token."""

    def __init__(self, table, vocab=12):
        self.vocab = vocab
        self.table = table

    def eval(self):
        return self

    def encode(self, src, lengths, src_copy=None):
        return EncoderOutput(src.float().unsqueeze(-1), src != PAD_ID, None)

    def init_decoder_state(self, encoded):
        return torch.zeros(encoded.outputs.size(0))

    def decode_step(self, encoded, state, prev):
        probs = torch.full((prev.size(0), self.vocab), 1e-9)
        for row, token in enumerate(prev.tolist()):
            for next_token, p in self.table.get(token, {EOS_ID: 1.0}).items():
                probs[row, next_token] = p
        return (probs / probs.sum(-1, keepdim=True)).log(), state, None

    def reorder(self, encoded, state, index):
        return encoded.index_select(index), state[index]

    def reorder_state(self, state, index):
        return state[index]


def test_beam_finds_a_better_sequence_than_greedy():
    # After BOS: 4 (0.6) or 5 (0.4). After 4 the mass spreads: 6 (0.45), 7..11 (0.1 each), EOS (0.05);
    # after 5, 6 and the others, EOS is certain. Greedy: 4 6 EOS = 0.27; the beam keeps 5: 5 EOS = 0.4.
    table = {BOS_ID: {4: 0.6, 5: 0.4}, 4: {6: 0.45, EOS_ID: 0.05} | {t: 0.1 for t in range(7, 12)}}
    model = TableModel(table)
    greedy = greedy_decode(model, [[4, 2]], max_len=5)[0]
    beam = beam_search(model, [[4, 2]], beam_size=2, length_penalty=0.0, max_len=5)[0]
    assert greedy.ids == [4, 6] and beam.ids == [5]
    assert greedy.score == pytest.approx(math.log(0.6 * 0.45), abs=1e-6)
    assert beam.score == pytest.approx(math.log(0.4), abs=1e-6)
    assert beam.score > greedy.score
    assert beam_search(model, [[4, 2]], beam_size=1, length_penalty=0.0, max_len=5)[0].ids == greedy.ids


def test_length_penalty_prefers_longer_hypotheses():
    # "5 EOS": 0.4; "4 6 8 9 EOS": 0.3; the other branch (4 7 10 11 ...) never ends before max_len.
    table = {BOS_ID: {4: 0.6, 5: 0.4}, 4: {6: 0.5, 7: 0.5}, 6: {8: 1.0}, 8: {9: 1.0}, 7: {10: 1.0},
             10: {11: 1.0}, 11: {10: 1.0}}
    model = TableModel(table)
    raw = beam_search(model, [[4, 2]], beam_size=2, length_penalty=0.0, max_len=6)[0]
    assert raw.ids == [5] and raw.score == pytest.approx(math.log(0.4), abs=1e-6)
    # ranked by score / ((5 + length) / 6): log(0.4) / (7 / 6) = -0.785 < log(0.3) / (10 / 6) = -0.722
    penalised = beam_search(model, [[4, 2]], beam_size=2, length_penalty=1.0, max_len=6)[0]
    assert penalised.ids == [4, 6, 8, 9] and penalised.score == pytest.approx(math.log(0.3), abs=1e-6)
    assert length_penalty_factor(3, 1.0) == pytest.approx(8 / 6)


def test_length_reward_lets_a_longer_hypothesis_win_without_forbidding_short_ones():
    # the table of the test above: "5 EOS" 0.4 (2 pieces with EOS), "4 6 8 9 EOS" 0.3 (5 pieces)
    table = {BOS_ID: {4: 0.6, 5: 0.4}, 4: {6: 0.5, 7: 0.5}, 6: {8: 1.0}, 8: {9: 1.0}, 7: {10: 1.0},
             10: {11: 1.0}, 11: {10: 1.0}}
    model = TableModel(table)
    search = dict(beam_size=2, length_penalty=0.0, max_len=6)
    # log(0.4) + 2r vs log(0.3) + 5r: the longer one wins once r > log(4 / 3) / 3 = 0.0959
    assert beam_search(model, [[4, 2]], length_reward=0.09, **search)[0].ids == [5]
    rewarded = beam_search(model, [[4, 2]], length_reward=0.1, **search)[0]
    assert rewarded.ids == [4, 6, 8, 9] and rewarded.score == pytest.approx(math.log(0.3), abs=1e-6)


def test_unk_is_written_only_when_allowed():
    # UNK is the likeliest first token; without it the search takes 4 (greedy) or 5 EOS (beam, 0.25 > 0.2)
    model = TableModel({BOS_ID: {UNK_ID: 0.5, 4: 0.3, 5: 0.2}, 4: {6: 0.5, 7: 0.5}, 5: {EOS_ID: 1.0}})
    assert greedy_decode(model, [[4, 2]], max_len=3)[0].ids == [UNK_ID]
    assert greedy_decode(model, [[4, 2]], max_len=3, allow_unk=False)[0].ids == [4, 6]
    beam = beam_search(model, [[4, 2]], beam_size=3, length_penalty=0.0, max_len=3, allow_unk=False)[0]
    assert beam.ids == [5] and beam.score == pytest.approx(math.log(0.2), abs=1e-6)


def test_a_banned_unk_or_eos_stays_where_nothing_else_is_left():
    class OnlyUnkThenEos:  # the first token must be UNK, then only EOS
        def initial(self):
            return 0

        def forbidden_batch(self, states):
            mask = torch.ones(len(states), 12, dtype=torch.bool)
            mask[:, UNK_ID if states[0] == 0 else EOS_ID] = False
            return mask

        def advance(self, state, token):
            return state + 1

    model = TableModel({BOS_ID: {4: 0.9, UNK_ID: 0.1}})
    for search in (lambda **kw: greedy_decode(model, [[4, 2]], **kw),
                   lambda **kw: beam_search(model, [[4, 2]], beam_size=2, length_penalty=0.0, **kw)):
        hypothesis = search(max_len=4, constraint=OnlyUnkThenEos(), allow_unk=False, min_len=3)[0]
        assert hypothesis.ids == [UNK_ID] and hypothesis.ended


def test_max_len_and_constraint():
    class Forbid:  # forbids token 6 everywhere
        def initial(self):
            return 0

        def forbidden_batch(self, states):
            mask = torch.zeros(len(states), 12, dtype=torch.bool)
            mask[:, 6] = True
            return mask

        def advance(self, state, token):
            return state + 1

    model = TableModel({BOS_ID: {6: 0.9, 7: 0.1}, 7: {7: 0.9, EOS_ID: 0.1}})
    for search in (lambda **kw: greedy_decode(model, [[4, 2]], **kw),
                   lambda **kw: beam_search(model, [[4, 2]], beam_size=2, length_penalty=0.0, **kw)):
        hyp = search(max_len=4, constraint=Forbid())[0]
        assert 6 not in hyp.ids and len(hyp.ids) <= 4
        assert search(max_len=4)[0].ids[0] == 6


def test_min_len_forbids_an_early_eos():
    torch.manual_seed(0)
    model = build_model("attn", 12, 15, {"emb_dim": 8, "hidden_dim": 8, "dropout": 0.0, "attention_dim": 8,
                                        "adaptive_cutoffs": []}).eval()
    with torch.no_grad():
        model.output_layer.bias[EOS_ID] = 20.0  # EOS first at every step
    sources = [[4, 5, 2], [6, 2]]
    assert all(h.ids == [] for h in greedy_decode(model, sources, max_len=8))
    for hypothesis in greedy_decode(model, sources, max_len=8, min_len=3):
        assert len(hypothesis.ids) == 3 and hypothesis.ended
    for hypothesis in beam_search(model, sources, beam_size=3, max_len=8, min_len=4):
        assert len(hypothesis.ids) == 4 and hypothesis.ended
