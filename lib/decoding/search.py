"""Batched greedy decoding and beam search.

Sources are lists of ids as `lib.models.batching.encode_source` makes them (token ids + EOS): pass exactly what
training saw. Hypotheses never contain PAD or BOS, and carry no BOS/EOS in `ids`.

A model used here provides (see lib/models/seq2seq.py):
    encode(src [batch, src_len], src_lengths [batch]) -> encoded
    init_decoder_state(encoded) -> state
    decode_step(encoded, state, prev [batch]) -> (log_probs [batch, vocab], state, attention [batch, src_len] | None)
    reorder(encoded, state, index [n]) -> (encoded, state)      rows `index` of both
    reorder_state(state, index [n]) -> state

The copy model also needs `copy_sources` (each source in the extended target space, as
`lib.models.batching.encode_copy` makes them); its hypotheses may hold extended ids (>= the vocabulary size:
id V + j copies source position j).

`constraint` (optional, e.g. lib.decoding.constraints.SyntaxConstraint) masks tokens per partial output:
    initial() -> cstate; forbidden_batch([cstate]) -> [n, vocab] bool; advance(cstate, token_id) -> cstate
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lib.models.batching import make_source_batches
from lib.tokens.vocabulary import BOS_ID, EOS_ID, PAD_ID, UNK_ID

NEG_INF = float("-inf")


@dataclass
class Hypothesis:
    """One decoded output.

    ids:       generated token ids, without BOS / EOS (at most max_len of them)
    score:     log-probability of `ids`, plus that of EOS when the hypothesis ended with it
    attention: [len(ids), len(src)] float32 weights over the source ids passed in (the docstring tokens and
               the final source EOS when the source came from encode_source), attn model only; else None
    ended:     True when the hypothesis emitted EOS (False: cut at max_len)
    """

    ids: list[int]
    score: float
    attention: np.ndarray | None = None
    ended: bool = True


def length_penalty_factor(length: int, alpha: float) -> float:
    """GNMT length penalty ((5 + length) / 6) ** alpha; a hypothesis is ranked by score / factor."""
    return ((5.0 + length) / 6.0) ** alpha


def _mask(log_probs: torch.Tensor, cstates, constraint, allow_eos: bool = True,
          allow_unk: bool = True) -> torch.Tensor:
    """log_probs [n, vocab] with PAD, BOS, the constraint's forbidden tokens and, unless allowed, EOS and UNK
    at -inf (each stays where nothing else is left). Copied (extended) ids are never UNK."""
    log_probs = log_probs.clone()
    log_probs[:, PAD_ID] = NEG_INF
    log_probs[:, BOS_ID] = NEG_INF
    if constraint is not None:
        forbidden = constraint.forbidden_batch(cstates).to(log_probs.device)
        extra = log_probs.size(1) - forbidden.size(1)
        if extra > 0:  # a copied word may go wherever an unknown name may
            forbidden = torch.cat((forbidden, forbidden[:, UNK_ID:UNK_ID + 1].expand(-1, extra)), dim=1)
        log_probs = log_probs.masked_fill(forbidden, NEG_INF)
    for token, allowed in ((UNK_ID, allow_unk), (EOS_ID, allow_eos)):
        if not allowed:
            kept = log_probs[:, token].clone()
            log_probs[:, token] = NEG_INF
            stuck = log_probs.amax(1) == NEG_INF  # [n] nothing else is left (amax: faster than counting)
            log_probs[:, token] = torch.where(stuck, kept, log_probs[:, token])
    return log_probs


def _advance(constraint, cstate, token: int, vocab_size: int | None):
    """The constraint's state after `token`; a copied (extended, >= vocab_size) id counts as an unknown name."""
    return constraint.advance(cstate, UNK_ID if vocab_size is not None and token >= vocab_size else token)


def _attention(rows: list[torch.Tensor] | None, src_len: int) -> np.ndarray | None:
    if rows is None:
        return None
    if not rows:
        return np.zeros((0, src_len), dtype=np.float32)
    return torch.stack(rows)[:, :src_len].float().cpu().numpy()


@torch.no_grad()
def greedy_decode(model, src: Sequence[Sequence[int]], max_len: int = 80, batch_size: int = 64,
                  device: torch.device | str = "cpu", constraint=None,
                  copy_sources: Sequence[Sequence[int]] | None = None, min_len: int = 0,
                  allow_unk: bool = True, on_batch_done: Callable[[int], None] | None = None) -> list[Hypothesis]:
    """The most likely next token at every step, for whole batches at once; a batch stops when every
    sequence has emitted EOS or after `max_len` steps. EOS is not allowed before `min_len` tokens, UNK not at
    all unless `allow_unk`. `on_batch_done(n)` is called as each batch of n sources is decoded (a progress
    bar's update). Returns one Hypothesis per source, in order."""
    if max_len < 1:
        raise ValueError("max_len must be >= 1")
    model.eval()
    vocab_size = getattr(model, "tgt_vocab_size", None)
    results: list[Hypothesis | None] = [None] * len(src)
    for indices, batch in make_source_batches(src, batch_size, copy_sources):
        batch = batch.to(device)
        encoded = model.encode(batch.src, batch.src_lengths, batch.src_copy)
        state = model.init_decoder_state(encoded)
        size = batch.size
        prev = torch.full((size,), BOS_ID, dtype=torch.long, device=batch.src.device)
        finished = torch.zeros(size, dtype=torch.bool, device=prev.device)
        scores = torch.zeros(size, dtype=torch.float64, device=prev.device)
        cstates = [constraint.initial() for _ in range(size)] if constraint is not None else None
        tokens, attentions = [], []
        for step in range(max_len):
            log_probs, state, attention = model.decode_step(encoded, state, prev)
            log_probs = _mask(log_probs, cstates, constraint, allow_eos=step >= min_len, allow_unk=allow_unk)
            best_lp, token = log_probs.max(dim=-1)  # [batch]
            token = token.masked_fill(finished, PAD_ID)
            scores += best_lp.double().masked_fill(finished, 0.0)
            tokens.append(token)
            if attention is not None:
                attentions.append(attention)
            finished = finished | (token == EOS_ID)
            if constraint is not None:
                cstates = [cs if t in (EOS_ID, PAD_ID) else _advance(constraint, cs, t, vocab_size)
                           for cs, t in zip(cstates, token.tolist())]
            if bool(finished.all()):
                break
            prev = token
        steps = torch.stack(tokens, dim=1).tolist()  # [batch, steps]
        attn = torch.stack(attentions, dim=1) if attentions else None  # [batch, steps, src_len]
        for row, index in enumerate(indices):
            ids = steps[row]
            ended = EOS_ID in ids
            ids = ids[: ids.index(EOS_ID)] if ended else ids
            rows = None if attn is None else list(attn[row, : len(ids)])
            results[index] = Hypothesis(ids, float(scores[row]), _attention(rows, len(src[index])), ended)
        if on_batch_done is not None:
            on_batch_done(len(indices))
    return results


def beam_search(model, src: Sequence[Sequence[int]], beam_size: int = 5, **search) -> list[Hypothesis]:
    """The best hypothesis of `n_best_beam_search` for each source (the same arguments)."""
    return [best[0] for best in n_best_beam_search(model, src, beam_size, n_best=1, **search)]


@torch.no_grad()
def n_best_beam_search(model, src: Sequence[Sequence[int]], beam_size: int = 5, n_best: int = 1,
                       length_penalty: float = 1.0, max_len: int = 80, batch_size: int = 64,
                       device: torch.device | str = "cpu", constraint=None,
                       copy_sources: Sequence[Sequence[int]] | None = None, min_len: int = 0, allow_unk: bool = True,
                       length_reward: float = 0.0, on_batch_done: Callable[[int], None] | None = None
                       ) -> list[list[Hypothesis]]:
    """Batched beam search: `beam_size` hypotheses per source, expanded together for a whole batch; returns the
    best `n_best` (at most beam_size) finished hypotheses of each source, best first.

    At each step the best 2 * beam_size continuations of a source are ranked; those ending in EOS among the
    first beam_size are finished, the best beam_size others go on. A source is done once it has beam_size
    finished hypotheses (or after max_len steps, when its open beams count as finished, without EOS). Finished
    hypotheses are ranked by score / length_penalty_factor(n) + length_reward * n, n = len(ids) + ended; their
    `score` stays the raw log-probability. The reward per token (He et al. 2016,
    Murray & Chiang 2018) offsets the search's bias to short outputs without forbidding them. EOS is not allowed
    before `min_len` tokens, UNK not at all unless `allow_unk`. beam_size=1 gives exactly the greedy result.
    `on_batch_done(n)` is called as each batch of n sources is decoded.
    """
    if beam_size < 1 or max_len < 1 or not 1 <= n_best <= beam_size:
        raise ValueError("beam_size and max_len must be >= 1, n_best from 1 to beam_size")
    model.eval()
    vocab_size = getattr(model, "tgt_vocab_size", None)
    k = beam_size

    def rank(score: float, length: int) -> float:
        return score / length_penalty_factor(length, length_penalty) + length_reward * length

    results: list[list[Hypothesis] | None] = [None] * len(src)
    for indices, batch in make_source_batches(src, max(1, batch_size // k) if k > 1 else batch_size, copy_sources):
        batch = batch.to(device)
        dev = batch.src.device
        size = batch.size
        encoded = model.encode(batch.src, batch.src_lengths, batch.src_copy)
        state = model.init_decoder_state(encoded)
        expand = torch.arange(size, device=dev).repeat_interleave(k)  # [size * k]
        encoded, state = model.reorder(encoded, state, expand)
        beam_scores = torch.full((size, k), NEG_INF, dtype=torch.float64, device=dev)
        beam_scores[:, 0] = 0.0  # only the first beam is alive at the start
        prev = torch.full((size * k,), BOS_ID, dtype=torch.long, device=dev)
        seqs = torch.zeros((size * k, 0), dtype=torch.long, device=dev)
        attn_hist = None  # [size * k, steps, src_len]
        has_attention = False
        cstates = [constraint.initial() for _ in range(size * k)] if constraint is not None else None
        finished: list[list[tuple[float, float, list[int], object, bool]]] = [[] for _ in range(size)]
        done = [False] * size
        offsets = (torch.arange(size, device=dev) * k).unsqueeze(1)  # [size, 1]
        for step in range(max_len):
            log_probs, state, attention = model.decode_step(encoded, state, prev)  # [size * k, vocab]
            has_attention = attention is not None
            vocab = log_probs.size(-1)
            log_probs = _mask(log_probs, cstates, constraint, allow_eos=step >= min_len,
                              allow_unk=allow_unk).double()
            candidates = (beam_scores.view(-1, 1) + log_probs).view(size, k * vocab)
            top_scores, top_index = candidates.topk(min(2 * k, k * vocab), dim=1)  # [size, 2k]
            origin, token = top_index // vocab, top_index % vocab
            # finish the EOS continuations among the first k
            is_eos = (token == EOS_ID) & torch.isfinite(top_scores)
            is_eos[:, k:] = False
            for b, r in is_eos.nonzero().tolist():
                if done[b]:
                    continue
                row = b * k + int(origin[b, r])
                ids = seqs[row].tolist()
                rows = None if attn_hist is None else attn_hist[row]
                score = float(top_scores[b, r])
                finished[b].append((rank(score, len(ids) + 1), score, ids, rows, True))
                if len(finished[b]) >= k:
                    done[b] = True
            if all(done):
                break
            # the best k continuations that do not end
            keep_scores, keep = top_scores.masked_fill(token == EOS_ID, NEG_INF).topk(k, dim=1)  # [size, k]
            rows = (offsets + origin.gather(1, keep)).view(-1)  # [size * k] rows of the previous beams
            next_token = token.gather(1, keep).view(-1)
            beam_scores = keep_scores
            state = model.reorder_state(state, rows)
            seqs = torch.cat((seqs[rows], next_token.unsqueeze(1)), dim=1)
            if attention is not None:
                step_attn = attention[rows].unsqueeze(1)
                attn_hist = step_attn if attn_hist is None else torch.cat((attn_hist[rows], step_attn), dim=1)
            if constraint is not None:
                cstates = [_advance(constraint, cstates[r], t, vocab_size)
                           for r, t in zip(rows.tolist(), next_token.tolist())]
            prev = next_token
        for b in range(size):
            if not done[b]:  # cut at max_len: the open beams compete as they are
                for j in range(k):
                    score = float(beam_scores[b, j])
                    if np.isfinite(score):
                        ids = seqs[b * k + j].tolist()
                        rows = None if attn_hist is None else attn_hist[b * k + j]
                        finished[b].append((rank(score, len(ids)), score, ids, rows, False))
            if not finished[b]:  # every continuation was forbidden (a constraint can do that)
                finished[b].append((NEG_INF, NEG_INF, [], None, False))
            index = indices[b]
            ranked = sorted(finished[b], key=lambda f: f[0], reverse=True)[:n_best]  # stable: ties keep their order
            results[index] = [
                Hypothesis(ids, score, _attention([] if rows is None else list(rows[: len(ids)]), len(src[index]))
                           if has_attention else None, ended)
                for _, score, ids, rows, ended in ranked]
        if on_batch_done is not None:
            on_batch_done(size)
    return results
