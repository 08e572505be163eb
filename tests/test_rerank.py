"""The rerank system's parts: N-best search, forced likelihoods, the candidate pool, its features and the ranker."""
import json

import numpy as np
import pandas as pd
import pytest
import torch

from lib.common.config import DecodeConfig, ParamError, RerankConfig, from_mapping, load_params
from lib.decoding.forced import forced_log_likelihoods
from lib.decoding.prediction import generate
from lib.decoding.search import beam_search, n_best_beam_search
from lib.evaluation.metrics import bleu_of_statistics, corpus_bleu, segment_statistics
from lib.evaluation.retrieval import TfidfRetriever
from lib.models.batching import encode_source
from lib.models.checkpoint import Checkpoint
from lib.rerank.candidates import Candidate, model_candidates, retrieved_candidates
from lib.rerank.features import pool_features
from lib.rerank.ranker import LinearRanker, fit_ranker
from lib.rerank.system import check_config
from lib.tokens.vocabulary import EOS_ID, SPECIALS, Vocabulary
from tiny_models import ARCH, scaled_model

SRC = Vocabulary([*SPECIALS, "returns", "the", "max@_", "maximum", "value", "sum"], subwords=True)
TGT = Vocabulary([*SPECIALS, "def", "max@_", "value", "(", ")", ":", "return", "max", "x", "sum"], subwords=True)
DOCSTRINGS = [["returns", "the", "maximum"], ["the", "max_value"], ["returns", "value", "value"], ["sum"]]
FREE = DecodeConfig(beam_size=1, max_len=12, min_len=0, constrained=False, replace_unk=False, allow_unk=True)


def model(kind: str, src=SRC, tgt=TGT):
    return scaled_model(kind, src, tgt, 3)


def checkpoint(kind: str, src=SRC, tgt=TGT) -> Checkpoint:
    return Checkpoint(model(kind, src, tgt), kind, dict(ARCH), src, tgt, 1, {})


@pytest.mark.parametrize("kind", ["attn", "copy"])
def test_forced_likelihood_of_the_models_own_output_is_its_search_score(kind):
    seq2seq = model(kind)
    softmax = getattr(seq2seq.output_layer, "vocabulary", seq2seq.output_layer)
    with torch.no_grad():
        softmax.bias[EOS_ID] += 4.0  # so that some outputs end before max_len
    generations = generate(seq2seq, SRC, TGT, DOCSTRINGS, FREE)
    sums, counts = forced_log_likelihoods(seq2seq, SRC, TGT, DOCSTRINGS, [g.raw_tokens for g in generations],
                                          batch_size=3)
    ended = [len(TGT.encode(g.raw_tokens)) < FREE.max_len for g in generations]  # pieces, not tokens
    assert any(ended)
    for generation, total, count, stopped in zip(generations, sums, counts, ended):
        assert count == len(TGT.encode(generation.raw_tokens)) + 1  # every piece and the final EOS
        if stopped:  # the search's score holds EOS's log-probability only when it emitted it
            assert total == pytest.approx(generation.score, abs=1e-4)


def test_forced_likelihoods_do_not_depend_on_the_batch():
    seq2seq, codes = model("copy"), [["def", "x"], ["max", "(", "x", ")"], [], ["sum", "value"]]
    together = forced_log_likelihoods(seq2seq, SRC, TGT, DOCSTRINGS, codes, batch_size=4)
    alone = [forced_log_likelihoods(seq2seq, SRC, TGT, [d], [c]) for d, c in zip(DOCSTRINGS, codes)]
    np.testing.assert_allclose(together[0], [a[0][0] for a in alone], atol=1e-5)
    assert list(together[1]) == [3, 5, 1, 3]


def test_n_best_is_ranked_and_starts_with_the_beam_result():
    seq2seq = model("attn")
    src = [encode_source(d, SRC) for d in DOCSTRINGS]
    best = beam_search(seq2seq, src, beam_size=3, max_len=8)
    n_best = n_best_beam_search(seq2seq, src, beam_size=3, n_best=3, max_len=8)
    for one, many in zip(best, n_best):
        assert len(many) == 3 and many[0].ids == one.ids and many[0].score == one.score
        ranks = [h.score / ((5 + len(h.ids) + h.ended) / 6) for h in many]
        assert ranks == sorted(ranks, reverse=True)
    with pytest.raises(ValueError):
        n_best_beam_search(seq2seq, src, beam_size=2, n_best=3)


def test_top_k_starts_with_the_nearest_and_is_ordered():
    retriever = TfidfRetriever().fit([["a", "b"], ["a"], ["c"], ["a", "c"]], [["x"], ["y"], ["z"], ["w"]])
    indices, similarities = retriever.top_k([["a"], ["c", "b"]], 3)
    nearest, best = retriever.nearest([["a"], ["c", "b"]])
    assert list(indices[:, 0]) == list(nearest) and list(similarities[:, 0]) == list(best)
    assert (np.diff(similarities, axis=1) <= 0).all()
    assert retriever.top_k([["a"]], 10)[0].shape == (1, 4)  # capped at the training rows
    pools = retrieved_candidates(retriever, [["a"]], 2)
    assert [c.tokens for c in pools[0]] == [("y",), ("w",)] and pools[0][0].source == "retrieval"
    assert pools[0][0].similarity == pytest.approx(1.0)


def test_the_pool_holds_each_search_once_without_repeats():
    config = RerankConfig(models=("copy",), beam_size=3, short=True, retrieved=0, features=("forward",))
    decode = DecodeConfig(beam_size=5, max_len=8, min_len=4, constrained=False, replace_unk=True, allow_unk=True)
    pools = model_candidates("copy", checkpoint("copy"), DOCSTRINGS, config, decode)
    for pool in pools:
        for source in ("beam", "short"):
            found = [c.tokens for c in pool if c.source == source]
            assert 1 <= len(found) <= 3 and len(set(found)) == len(found)
        assert all(len(c.tokens) >= 1 for c in pool if c.source == "beam")  # with the minimum length


def test_features_are_the_named_columns():
    forward, reverse = checkpoint("copy"), checkpoint("attn", TGT, SRC)
    pools = [[Candidate(("def", "x"), "beam", "copy"), Candidate(("max",), "retrieval", None, 0.5)], [],
             [Candidate((), "short", "copy")]]
    names = ("length", "retrieved", "similarity", "forward", "reverse")
    features = pool_features(pools, DOCSTRINGS[:3], names, forward, reverse)
    assert [f.shape for f in features] == [(2, 5), (0, 5), (1, 5)]
    np.testing.assert_allclose(features[0][:, :3], [[np.log(3), 0, 0], [np.log(2), 1, 0.5]])
    assert (features[0][:, 3:] < 0).all() and np.isfinite(features[2]).all()
    alone = pool_features(pools, DOCSTRINGS[:3], ("reverse",), None, reverse)  # the forward model is not needed
    np.testing.assert_allclose(alone[0][:, 0], features[0][:, 4])


def test_the_fit_finds_the_feature_that_tells_good_candidates():
    references = [["def", "f", "(", ")"], ["return", "x"], ["a", "=", "b"]]
    pools = [[["x"], ["def", "f", "(", ")"]], [["return", "x"], ["y"]], [["z"], ["q"], ["a", "=", "b"]]]
    statistics = [segment_statistics(pool, [ref] * len(pool)) for pool, ref in zip(pools, references)]
    rng = np.random.default_rng(0)
    quality = [np.array([float(c == ref) for c in pool]) for pool, ref in zip(pools, references)]
    features = [np.stack([rng.normal(size=len(q)), q], axis=1) for q in quality]  # noise, then the telling one
    ranker, bleu = fit_ranker(("forward", "reverse"), features, statistics)
    chosen = ranker.choose(features)
    assert [pool[i] for pool, i in zip(pools, chosen)] == references
    assert bleu == pytest.approx(100.0)
    assert bleu == pytest.approx(corpus_bleu([pool[i] for pool, i in zip(pools, chosen)], references)[0])
    first = bleu_of_statistics(sum(stats[0] for stats in statistics))
    assert first < bleu


def test_a_ranker_round_trips_and_breaks_ties_by_order():
    ranker = LinearRanker(("forward", "length"), (0.0, 1.0), (1.0, 2.0), (1.0, 0.0))
    assert LinearRanker.from_dict(json.loads(json.dumps(ranker.as_dict()))) == ranker
    assert ranker.choose([np.array([[1.0, 5.0], [1.0, 0.0], [0.5, 9.0]])]) == [0]


def test_rerank_params_are_checked_in_one_line():
    params = load_params()
    params["rerank"]["features"] = ["forward", "reverce"]
    with pytest.raises(ParamError, match=r"rerank.features\[1\]: unknown feature 'reverce'; did you mean reverse\?"):
        from_mapping(params)
    params["rerank"].update(features=["forward"], models=[], retrieved=0)
    with pytest.raises(ParamError, match="rerank needs candidates"):
        from_mapping(params)
    with pytest.raises(ParamError, match=r"rerank.models\[0\]: unknown model 'cpy'; did you mean copy\?"):
        check_config(RerankConfig(models=("cpy",), beam_size=2, short=False, retrieved=1, features=("forward",)))
    with pytest.raises(ParamError, match="forward, which needs a model"):
        check_config(RerankConfig(models=(), beam_size=2, short=False, retrieved=1, features=("forward",)))


def test_the_reverse_split_swaps_sides_and_vocabularies(tmp_path):
    from lib.tokens.vocabulary import save_vocabularies
    from lib.training.trainer import load_data
    save_vocabularies(tmp_path / "vocab.json", SRC, TGT)
    for name in ("train", "valid"):
        pd.DataFrame({"src": [["returns", "value"]], "tgt": [["def", "x"]]}).to_parquet(tmp_path / f"{name}.parquet")
    src_vocab, tgt_vocab, train, _ = load_data(tmp_path, reverse=True)
    assert src_vocab.itos == TGT.itos and tgt_vocab.itos == SRC.itos
    assert train[0] == (encode_source(["def", "x"], TGT), SRC.encode(["returns", "value"], bos_eos=True))
