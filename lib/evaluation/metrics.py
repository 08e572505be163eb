"""Corpus metrics for generated code token sequences: BLEU, exact match, positional accuracy, parse and
compile rates, distinct outputs, function-name accuracy, paired bootstrap resampling and per-length-bucket
breakdowns.

Every function takes token lists (one list of str per example) and compares a hypothesis with the
reference at the same index. Ratios over an empty set of examples are NaN (not an error), so that an
empty length bucket or an empty `max_ref_len` subset does not stop an evaluation.
"""
from __future__ import annotations

import ast
import math
import re
import warnings
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from sacrebleu.metrics.bleu import BLEU

from lib.tokens.code_tokens import detokenize

Tokens = Sequence[str]

# sacrebleu splits a segment on whitespace; a token containing whitespace (a string literal such as
# "'a b'") would count as several BLEU tokens. Each whitespace character inside a token becomes this mark
# (U+2581, as SentencePiece writes a space), so one code token is always exactly one BLEU token and
# "'a b'" and "'a  b'" stay different tokens.
SPACE_MARK = "\u2581"
# An empty token would vanish when joined with spaces; it becomes one mark as well.
EMPTY_TOKEN_MARK = SPACE_MARK


def _bleu() -> BLEU:
    """sacrebleu's corpus BLEU-4 on pre-tokenized text: tokenize='none', its default 'exp' smoothing
    (which only matters when some n-gram order has no match in the whole corpus), no effective order.
    `force=True` because the input is tokenized on purpose (it silences the "already tokenized" warning
    and does not change the score or the signature)."""
    return BLEU(tokenize="none", force=True)


def bleu_segment(tokens: Tokens) -> str:
    """One sacrebleu segment: tokens joined with single spaces, whitespace inside a token replaced."""
    return " ".join(
        "".join(SPACE_MARK if char.isspace() else char for char in token) or EMPTY_TOKEN_MARK
        for token in tokens
    )


def _check_pairs(hypotheses: Sequence, references: Sequence) -> None:
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def corpus_bleu(hypotheses: Sequence[Tokens], references: Sequence[Tokens]) -> tuple[float, str]:
    """(corpus BLEU-4 in 0-100, sacrebleu's signature string) of token sequences; see `_bleu`."""
    _check_pairs(hypotheses, references)
    if not hypotheses:
        return math.nan, str(_bleu().get_signature())
    metric = _bleu()
    score = metric.corpus_score([bleu_segment(h) for h in hypotheses], [[bleu_segment(r) for r in references]])
    return score.score, str(metric.get_signature())


@lru_cache(maxsize=1)
def _sentence_metric() -> BLEU:
    # Built once: sentence_bleu is called for every example.
    return BLEU(tokenize="none", force=True, smooth_method="exp", effective_order=True)


def sentence_bleu(hypothesis: Tokens, reference: Tokens) -> float:
    """Per-example BLEU-4 (0-100) as `sacrebleu.sentence_bleu` computes it: 'exp' smoothing (NIST,
    Chen & Cherry method 3: each n-gram order without a match gets precision 1/(2^k * total)) and
    effective order (orders longer than the hypothesis are left out), with tokenize='none'."""
    return _sentence_metric().sentence_score(bleu_segment(hypothesis), [bleu_segment(reference)]).score


def conala_bleu_tokens(code: str) -> list[str]:
    """The CoNaLa challenge's BLEU tokenization (`tokenize_for_bleu_eval` of its `conala_eval.py`, from Ling et
    al. 2016): every character but [A-Za-z0-9_] is a token, a lower-to-upper case change splits a word
    (`getName` -> `get Name`), whitespace only separates, and both quote characters become a backtick."""
    code = re.sub(r"([^A-Za-z0-9_])", r" \1 ", code)
    code = re.sub(r"([a-z])([A-Z])", r"\1 \2", code)
    code = re.sub(r"\s+", " ", code)
    code = code.replace('"', "`").replace("'", "`")
    return [token for token in code.split(" ") if token]


# Benchmark BLEU tokenizations, by the name `evaluate.benchmark_bleu` gives.
BENCHMARK_TOKENIZERS = {"conala": conala_bleu_tokens}


def benchmark_bleu(hypotheses: Sequence[str], references: Sequence[str], tokenization: str) -> tuple[float, str]:
    """(corpus BLEU-4 in 0-100, signature) of code strings under a benchmark's own tokenization.

    As the benchmark scores submissions: the named tokenizer, one reference each, no smoothing (an n-gram
    order without any match gives 0). The signature is sacrebleu's with `tok:` naming that tokenizer. Not
    comparable with `corpus_bleu` (our code tokens, smoothed).
    """
    _check_pairs(hypotheses, references)
    split = BENCHMARK_TOKENIZERS[tokenization]
    metric = BLEU(tokenize="none", smooth_method="none", force=True)
    # sacrebleu knows its signature only after scoring; an empty corpus scores one empty pair for it.
    segments = [" ".join(split(h)) for h in hypotheses] or [""]
    score = metric.corpus_score(segments, [[" ".join(split(r)) for r in references] or [""]])
    signature = metric.get_signature()
    signature.info["tok"] = tokenization
    return (score.score if hypotheses else math.nan), str(signature)


def benchmark_bleu_of_tokens(hypotheses: Sequence[Tokens], references: Sequence[Tokens],
                             tokenization: str) -> tuple[float, str]:
    """`benchmark_bleu` of code token sequences, each detokenized first (the code a user would submit)."""
    return benchmark_bleu([detokenize(h) for h in hypotheses], [detokenize(r) for r in references], tokenization)


def exact_match(hypotheses: Sequence[Tokens], references: Sequence[Tokens], max_ref_len: int | None = None) -> float:
    """Share of examples whose token sequence equals the reference.

    With `max_ref_len`, only the examples whose reference has at most that many tokens count
    (NaN when there are none).
    """
    _check_pairs(hypotheses, references)
    pairs = [(list(h), list(r)) for h, r in zip(hypotheses, references)
             if max_ref_len is None or len(r) <= max_ref_len]
    return _ratio(sum(h == r for h, r in pairs), len(pairs))


def positional_accuracy(hypotheses: Sequence[Tokens], references: Sequence[Tokens]) -> float:
    """Token accuracy by position, micro-averaged over the corpus:

        sum_i #{j : hyp_i[j] == ref_i[j]}  /  sum_i max(len(hyp_i), len(ref_i))

    Missing or extra tokens count as errors (hence the max), and a token shifted by an insertion or a
    deletion no longer matches: this measures the decoded sequence position by position, not overlap.
    Longer examples weigh more. NaN when every sequence is empty.
    """
    _check_pairs(hypotheses, references)
    matches = sum(sum(a == b for a, b in zip(h, r)) for h, r in zip(hypotheses, references))
    positions = sum(max(len(h), len(r)) for h, r in zip(hypotheses, references))
    return _ratio(matches, positions)


def parses(code: str) -> bool:
    """True when `ast.parse` accepts `code`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)  # e.g. invalid escapes in generated strings
            ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # ValueError: null bytes; RecursionError/MemoryError: absurdly nested generated code.
        return False
    return True


def parse_rate(codes: Sequence[str]) -> float:
    """Share of source texts that parse (NaN for none). Token sequences go through `detokenize` first."""
    return _ratio(sum(parses(code) for code in codes), len(codes))


def token_parse_rate(hypotheses: Sequence[Tokens]) -> float:
    """Parse rate of token sequences, each detokenized to source text first."""
    return parse_rate([detokenize(h) for h in hypotheses])


def compile_error(code: str) -> SyntaxError | None:
    """The SyntaxError that `compile(code, "<generated>", "exec")` raises, or None when `code` compiles.

    Compiling checks more than parsing: the symbol table and the compiler reject code that `ast.parse`
    accepts, such as duplicate parameters (`def f(n, n)`), `return` / `yield` / `await` outside a function,
    `break` outside a loop and `nonlocal` at module level. Nothing is executed. ValueError (null bytes),
    RecursionError and MemoryError (absurd nesting) come back as a SyntaxError naming them.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)  # e.g. invalid escapes in generated strings
            # dont_inherit: this module's `from __future__` imports must not change what compiles.
            compile(code, "<generated>", "exec", dont_inherit=True)
    except SyntaxError as error:  # IndentationError and TabError included
        return error
    except (ValueError, RecursionError, MemoryError) as error:
        return SyntaxError(f"{type(error).__name__}: {error}")
    return None


def compiles(code: str) -> bool:
    """True when `compile(code, "<generated>", "exec")` succeeds (see `compile_error`)."""
    return compile_error(code) is None


def compile_rate(codes: Sequence[str]) -> float:
    """Share of source texts that compile as a module (NaN for none); never above `parse_rate`."""
    return _ratio(sum(compiles(code) for code in codes), len(codes))


def token_compile_rate(hypotheses: Sequence[Tokens]) -> float:
    """Compile rate of token sequences, each detokenized to source text first."""
    return compile_rate([detokenize(h) for h in hypotheses])


# ---- diversity, names and lengths ------------------------------------------------------------------

def distinct_outputs(hypotheses: Sequence[Tokens]) -> float:
    """Distinct token sequences / number of outputs (NaN for none): 1.0 when every output differs,
    1 / n when a system emits the same program for all n inputs."""
    return _ratio(len({tuple(h) for h in hypotheses}), len(hypotheses))


def function_name(tokens: Tokens) -> str | None:
    """The name after the first `def` token (`async def` included), or None when there is none."""
    tokens = list(tokens)
    for index, token in enumerate(tokens[:-1]):
        if token == "def" and tokens[index + 1].isidentifier():
            return tokens[index + 1]
    return None


def function_name_accuracy(hypotheses: Sequence[Tokens], references: Sequence[Tokens]) -> float:
    """Share of examples whose first `def` name equals the reference's, over the examples whose reference
    has a `def` (NaN when none has: snippet corpora). An output without a `def` counts as wrong."""
    _check_pairs(hypotheses, references)
    names = [(function_name(h), function_name(r)) for h, r in zip(hypotheses, references)]
    named = [(h, r) for h, r in names if r is not None]
    return _ratio(sum(h == r for h, r in named), len(named))


def mean_length(sequences: Sequence[Tokens]) -> float:
    """Mean number of tokens per sequence (NaN for none)."""
    return _ratio(sum(len(s) for s in sequences), len(sequences))


# ---- paired bootstrap resampling -------------------------------------------------------------------

def _segment_statistics(metric: BLEU, hypotheses: Sequence[Tokens], references: Sequence[Tokens]) -> np.ndarray:
    """[n, 2 + 2 * order] per-sentence sufficient statistics (hyp len, ref len, correct n-grams, total
    n-grams): summing rows and calling `BLEU.compute_bleu` gives the corpus BLEU of any subset."""
    stats = metric._extract_corpus_statistics(  # sacrebleu's own hook for significance testing
        [bleu_segment(h) for h in hypotheses], [[bleu_segment(r) for r in references]])
    return np.asarray(stats, dtype=np.int64).reshape(len(hypotheses), -1)


def _bleu_of_stats(metric: BLEU, stats: np.ndarray) -> float:
    order = metric.max_ngram_order
    return BLEU.compute_bleu(
        correct=[int(x) for x in stats[2: 2 + order]], total=[int(x) for x in stats[2 + order:]],
        sys_len=int(stats[0]), ref_len=int(stats[1]), smooth_method=metric.smooth_method,
        smooth_value=metric.smooth_value, effective_order=metric.effective_order, max_ngram_order=order,
    ).score


def segment_statistics(hypotheses: Sequence[Tokens], references: Sequence[Tokens]) -> np.ndarray:
    """[n, 2 + 2 * 4] BLEU's sufficient statistics of each example: the rows of any choice of examples (or of
    hypotheses per example), summed, give its corpus BLEU through `bleu_of_statistics`."""
    _check_pairs(hypotheses, references)
    return _segment_statistics(_bleu(), hypotheses, references)


def bleu_of_statistics(stats: np.ndarray) -> float:
    """Corpus BLEU (0-100) of summed `segment_statistics` rows [2 + 2 * 4]."""
    return _bleu_of_stats(_bleu(), stats)


def _resample_weights(n: int, n_resamples: int, seed: int) -> np.ndarray:
    """[R, n] how often each of n examples is drawn in each of R resamples (with replacement): one
    [R, n] @ [n, S] product then sums the sufficient statistics of every resample."""
    draws = np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))
    weights = np.zeros((n_resamples, n), dtype=np.int64)
    np.add.at(weights, (np.arange(n_resamples)[:, None], draws), 1)
    return weights


def bleu_interval(hypotheses: Sequence[Tokens], references: Sequence[Tokens], n_resamples: int = 1000,
                  seed: int = 12345) -> tuple[float, float]:
    """The 95% bootstrap percentile interval (2.5, 97.5) of one system's corpus BLEU over resampled rows.

    It measures the test set's sampling noise only, not a training run's: seeds are compared apart.
    """
    _check_pairs(hypotheses, references)
    if not references:
        raise ValueError("a bootstrap interval needs at least one example")
    metric = _bleu()
    sums = _resample_weights(len(references), n_resamples, seed) @ _segment_statistics(metric, hypotheses, references)
    scores = [_bleu_of_stats(metric, row) for row in sums]
    return float(np.percentile(scores, 2.5)), float(np.percentile(scores, 97.5))


def paired_bootstrap(
    hypotheses_a: Sequence[Tokens],
    hypotheses_b: Sequence[Tokens],
    references: Sequence[Tokens],
    n_resamples: int = 1000,
    seed: int = 12345,
) -> dict:
    """Paired bootstrap resampling of corpus BLEU (Koehn 2004): is system A better than system B?

    Each resample draws n example indices with replacement (the same indices for both systems) and
    computes both corpus BLEUs from summed sufficient statistics. Returns
      bleu_a, bleu_b: corpus BLEU on the full set; delta: bleu_a - bleu_b on the full set;
      mean_delta: mean of the resampled differences; ci_low, ci_high: 2.5 / 97.5 percentiles of them;
      p_value: share of resamples where A is *not* better (delta <= 0), one-sided. Identical systems
        give delta 0 and p_value 1; a small p_value (< 0.05) means A is significantly better than B;
      n_resamples, seed, signature (sacrebleu's).
    """
    _check_pairs(hypotheses_a, references)
    _check_pairs(hypotheses_b, references)
    if not references:
        raise ValueError("paired bootstrap needs at least one example")
    metric = _bleu()
    stats_a = _segment_statistics(metric, hypotheses_a, references)
    stats_b = _segment_statistics(metric, hypotheses_b, references)
    weights = _resample_weights(len(references), n_resamples, seed)
    sums_a, sums_b = weights @ stats_a, weights @ stats_b
    deltas = np.array([_bleu_of_stats(metric, a) - _bleu_of_stats(metric, b) for a, b in zip(sums_a, sums_b)])
    bleu_a = _bleu_of_stats(metric, stats_a.sum(axis=0))
    bleu_b = _bleu_of_stats(metric, stats_b.sum(axis=0))
    return {
        "bleu_a": bleu_a,
        "bleu_b": bleu_b,
        "delta": bleu_a - bleu_b,
        "mean_delta": float(deltas.mean()),
        "ci_low": float(np.percentile(deltas, 2.5)),
        "ci_high": float(np.percentile(deltas, 97.5)),
        "p_value": float(np.mean(deltas <= 0)),
        "n_resamples": n_resamples,
        "seed": seed,
        "signature": str(metric.get_signature()),
    }


# ---- length buckets --------------------------------------------------------------------------------

def bucket_labels(edges: Sequence[int]) -> list[str]:
    """Labels of the buckets that `edges` [5, 10, 20, 50] define: 1-5, 6-10, 11-20, 21-50, 51+."""
    if list(edges) != sorted(set(edges)) or not edges or edges[0] < 1:
        raise ValueError(f"bucket edges must be increasing positive integers, got {list(edges)}")
    lows = [1] + [edge + 1 for edge in edges[:-1]]
    return [f"{low}-{high}" for low, high in zip(lows, edges)] + [f"{edges[-1] + 1}+"]


def length_buckets(lengths: Sequence[int], edges: Sequence[int]) -> list[str]:
    """The bucket label of each length (see `bucket_labels`); a length of 0 gets its own label "0"."""
    labels = bucket_labels(edges)
    # searchsorted(side="left") puts a length equal to an edge in the bucket that edge closes.
    indices = np.searchsorted(np.asarray(edges), np.asarray(lengths, dtype=np.int64), side="left")
    return ["0" if length < 1 else labels[index] for length, index in zip(lengths, indices)]


def bucket_metrics(
    hypotheses: Sequence[Tokens],
    references: Sequence[Tokens],
    edges: Sequence[int],
    lengths: Sequence[int] | None = None,
) -> list[dict]:
    """Metrics per length bucket, in bucket order: one dict per bucket with keys
    bucket, count, bleu, exact_match, positional_accuracy, parse_rate.

    `lengths` (default: the reference lengths) decides each example's bucket; pass the source lengths
    to bucket by input length. Empty buckets are listed with count 0 and None for every metric
    (None rather than NaN so the result is valid JSON).
    """
    _check_pairs(hypotheses, references)
    lengths = [len(r) for r in references] if lengths is None else lengths
    _check_pairs(lengths, references)
    buckets = length_buckets(lengths, edges)
    labels = (["0"] if "0" in buckets else []) + bucket_labels(edges)
    rows = []
    for label in labels:
        hyps = [h for h, b in zip(hypotheses, buckets) if b == label]
        refs = [r for r, b in zip(references, buckets) if b == label]
        row = {"bucket": label, "count": len(hyps)}
        if hyps:
            row.update(bleu=corpus_bleu(hyps, refs)[0], exact_match=exact_match(hyps, refs),
                       positional_accuracy=positional_accuracy(hyps, refs), parse_rate=token_parse_rate(hyps))
        else:
            row.update(bleu=None, exact_match=None, positional_accuracy=None, parse_rate=None)
        rows.append(row)
    return rows
