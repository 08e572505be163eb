"""The copy model: extended ids, a distribution that sums to 1, copying only through the pointer, and a
training loss that equals the decoding distribution at the gold tokens."""
import math

import pytest
import torch

from lib.models.batching import collate, encode_copy, encode_rows
from lib.models.seq2seq import build_model
from lib.tokens.subwords import merge_pieces
from lib.tokens.vocabulary import EOS_ID, PAD_ID, UNK_ID, Vocabulary

CONFIG = {"emb_dim": 8, "hidden_dim": 12, "dropout": 0.0, "attention_dim": 10, "adaptive_cutoffs": []}
SRC = Vocabulary(["<pad>", "<bos>", "<eos>", "<unk>", "return", "the", "list"], subwords=True)
TGT = Vocabulary(["<pad>", "<bos>", "<eos>", "<unk>", "def", "f", "(", ")", ":", "return", "list", "my@@"],
                 subwords=True)
ROWS = [(["return", "myList", "sorted"], ["def", "f", "(", "myList", ")", ":", "return", "sorted"]),
        (["return", "the", "list"], ["def", "f", "(", ")", ":", "return", "list"])]


def copy_model(seed=0):
    torch.manual_seed(seed)
    return build_model("copy", len(SRC), len(TGT), CONFIG).eval()


def test_encode_copy_maps_source_pieces_into_the_extended_target_space():
    # source pieces: return, my@@, List, sorted (+ EOS); V = 12
    copy_ids, targets = encode_copy(["return", "myList", "sorted", "sorted"], TGT, ["return", "myList", "sorted", "x"])
    assert copy_ids == [9, 11, 12 + 2, 12 + 3, 12 + 3, PAD_ID]  # in-vocab ids; first position of each OOV piece
    assert targets == [1, 9, 11, 14, 15, UNK_ID, EOS_ID]  # `x` is in neither: UNK


def test_encode_copy_copies_an_unknown_piece_from_the_source_before_spelling_it():
    tgt = Vocabulary([*TGT.itos, "sorted@@", "_@@", "x"], subwords=True, spelling=True)
    v = len(tgt)
    copy_ids, targets = encode_copy(["return", "sorted"], tgt, ["sorted", "sorted_x"])
    assert copy_ids == [9, v + 1, PAD_ID]
    # `sorted` is copied from the source; `sorted_x` is sorted@_ x, and sorted@_ (not in the source) is spelled
    assert targets == [1, v + 1, tgt.stoi["sorted@@"], tgt.stoi["_@@"], tgt.stoi["x"], EOS_ID]


def test_decoding_distribution_sums_to_one_and_oov_words_come_only_from_the_pointer():
    model = copy_model()
    batch = collate(encode_rows(ROWS, SRC, TGT, copy=True), len(TGT))
    encoded = model.encode(batch.src, batch.src_lengths, batch.src_copy)
    state = model.init_decoder_state(encoded)
    log_probs, _, attention = model.decode_step(encoded, state, batch.tgt_in[:, 0])
    assert log_probs.shape == (2, len(TGT) + batch.src.size(1))
    assert torch.allclose(log_probs.exp().sum(-1), torch.ones(2), atol=1e-5)
    # row 0: `List` (position 2) and `sorted` (3) are outside the target vocabulary: their mass is the gate's
    # copy share of the attention on them
    gate = model.output_layer.generation_probability(model.decoder.step(batch.tgt_in[:, 0], state, encoded)[0])
    for position in (2, 3):
        expected = (1 - gate[0]) * attention[0, position]
        assert torch.isclose(log_probs[0, len(TGT) + position].exp(), expected, atol=1e-6)
    # masked (padded) source positions get nothing; row 1's source has 4 positions of the batch's 5
    assert batch.src_copy[1, 4] == 0 and attention[1, 4] == 0
    assert log_probs[1, len(TGT) + 4] == -math.inf
    # with the gate shut (p_gen = 1) nothing outside the vocabulary can be written
    with torch.no_grad():
        model.output_layer.gate.linear.bias.fill_(50.0)
    log_probs, _, _ = model.decode_step(encoded, state, batch.tgt_in[:, 0])
    assert torch.all(log_probs[:, len(TGT):].exp() < 1e-12)


@pytest.mark.parametrize("cutoffs", [[], [8]])
def test_training_loss_is_the_decoding_distribution_at_the_gold_tokens(cutoffs):
    torch.manual_seed(0)
    model = build_model("copy", len(SRC), len(TGT), {**CONFIG, "adaptive_cutoffs": cutoffs}).eval()
    batch = collate(encode_rows(ROWS, SRC, TGT, copy=True), len(TGT))
    assert (batch.tgt_out >= len(TGT)).any() and not (batch.tgt_in >= len(TGT)).any()
    loss = model.loss(batch)
    encoded = model.encode(batch.src, batch.src_lengths, batch.src_copy)
    state = model.init_decoder_state(encoded)
    expected = 0.0
    for t in range(batch.tgt_in.size(1)):
        log_probs, state, _ = model.decode_step(encoded, state, batch.tgt_in[:, t])
        gold = batch.tgt_out[:, t]
        real = gold != 0
        expected -= log_probs[real].gather(1, gold[real].unsqueeze(1)).sum()
    assert torch.isfinite(loss) and torch.allclose(loss, expected, rtol=1e-4)
    loss.backward()
    assert model.output_layer.gate.linear.weight.grad.abs().sum() > 0


def test_a_copying_model_writes_only_source_pieces_and_generate_joins_them():
    from lib.decoding.prediction import DecodeConfig, generate
    from lib.decoding.search import beam_search, greedy_decode
    from lib.models.batching import encode_source
    model = copy_model()
    with torch.no_grad():
        model.output_layer.gate.linear.bias.fill_(-50.0)  # p_gen = 0: every token is copied
    source = ["return", "myList", "sorted"]
    src_ids, (copy_ids, _) = [encode_source(source, SRC)], encode_copy(source, TGT)
    greedy = greedy_decode(model, src_ids, max_len=6, copy_sources=[copy_ids])[0]
    for hypothesis in (greedy, beam_search(model, src_ids, beam_size=3, max_len=6, copy_sources=[copy_ids])[0]):
        assert len(hypothesis.ids) == 6  # copying never writes EOS, so it runs to max_len
        assert set(hypothesis.ids) <= set(copy_ids) - {PAD_ID}
    [generation] = generate(model, SRC, TGT, [source], DecodeConfig(max_len=6, constrained=False,
                                                                    replace_unk=False))
    source_pieces = ["return", "my@@", "List", "sorted"]  # ids V + j name source piece j
    written = [TGT.itos[i] if i < len(TGT) else source_pieces[i - len(TGT)] for i in greedy.ids]
    assert generation.tokens == merge_pieces(written)
    assert generation.attention.shape == (len(generation.tokens), 4)  # 3 words + EOS
    assert torch.allclose(torch.as_tensor(generation.attention).sum(1), torch.ones(len(generation.tokens)))


def test_the_copy_gate_of_a_decoded_output_matches_the_search():
    from lib.decoding.prediction import DecodeConfig, generate
    model = copy_model(seed=3)
    with torch.no_grad():
        model.output_layer.gate.linear.bias.fill_(-50.0)  # p_gen ~ 0 at every step
    [generation] = generate(model, SRC, TGT, [["return", "myList", "sorted"]],
                            DecodeConfig(max_len=5, constrained=False, replace_unk=False), gates=True)
    assert generation.copy_gate.shape == (len(generation.tokens),) and generation.copy_gate.max() < 1e-6
    with torch.no_grad():
        model.output_layer.gate.linear.bias.fill_(50.0)  # p_gen ~ 1: generated from the vocabulary
    [generation] = generate(model, SRC, TGT, [["return", "the", "list"]],
                            DecodeConfig(max_len=5, constrained=False, replace_unk=False), gates=True)
    assert generation.copy_gate.min() > 1 - 1e-6
