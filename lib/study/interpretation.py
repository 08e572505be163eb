"""Computed interpretation of attention weights: what each generated token looks at, whether generated
identifiers attend to the docstring words they were named after, and probes of single words.

All functions take one example as `weights` of shape [tgt_len, src_len] (row t: the attention the
decoder paid to every docstring token while generating target token t; rows sum to 1), with
`src_tokens` (docstring, length src_len) and `tgt_tokens` (generated code, length tgt_len).
Lists of lists and numpy arrays are both accepted, as are the nested arrays parquet returns.
The models read the docstring followed by EOS and emit EOS last (lib/models/batching.py), so a matrix may
carry one extra column and/or row for those; `with_eos` labels them "<eos>" instead of failing.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from lib.tokens.kinds import is_name, name_pieces

MIN_PREFIX = 3  # shorter prefixes ("a"~"add", "is"~"isdir") match almost anything

EOS = "<eos>"


def with_eos(weights, src_tokens: Sequence[str], tgt_tokens: Sequence[str]) -> tuple[np.ndarray, list, list]:
    """(matrix, src_tokens, tgt_tokens) with "<eos>" appended to the tokens for a matrix that has one
    more column (source EOS) or row (generated EOS) than there are tokens. ValueError on any other
    shape than [len(tgt_tokens) (+1), len(src_tokens) (+1)]."""
    src_tokens, tgt_tokens = [str(s) for s in src_tokens], [str(t) for t in tgt_tokens]
    rows = [np.asarray(row, dtype=float) for row in weights]
    matrix = np.stack(rows) if rows else np.zeros((0, len(src_tokens)))
    extra_rows = matrix.shape[0] - len(tgt_tokens)
    extra_cols = matrix.shape[1] - len(src_tokens) if matrix.ndim == 2 else -1
    if extra_rows not in (0, 1) or extra_cols not in (0, 1):
        raise ValueError(f"attention has shape {matrix.shape}, expected [tgt_len, src_len] = "
                         f"{(len(tgt_tokens), len(src_tokens))} (each +1 at most, for EOS)")
    return matrix, src_tokens + [EOS] * extra_cols, tgt_tokens + [EOS] * extra_rows


def as_matrix(weights, src_tokens: Sequence[str], tgt_tokens: Sequence[str]) -> np.ndarray:
    """`weights` as a float array [len(tgt_tokens), len(src_tokens)]; ValueError on any other shape."""
    matrix, src, tgt = with_eos(weights, src_tokens, tgt_tokens)
    if (len(tgt), len(src)) != (len(tgt_tokens), len(src_tokens)):
        raise ValueError(f"attention has shape {matrix.shape}, expected [tgt_len, src_len] = "
                         f"{(len(tgt_tokens), len(src_tokens))}")
    return matrix


def strongest_source(weights, src_tokens: Sequence[str], tgt_tokens: Sequence[str]) -> list[tuple[str, str, float]]:
    """For each generated token, the docstring token it attends to most (first one on ties).

    Returns [(tgt_token, src_token, weight)] of length tgt_len (+1 with a generated-EOS row)."""
    matrix, src_tokens, tgt_tokens = with_eos(weights, src_tokens, tgt_tokens)
    if matrix.shape[1] == 0:
        return []
    best = matrix.argmax(axis=1)
    return [(str(t), str(src_tokens[j]), float(matrix[i, j])) for i, (t, j) in enumerate(zip(tgt_tokens, best))]


# --- sub-word matching ---------------------------------------------------------------------------

def pieces_match(a: str, b: str) -> bool:
    """Equal pieces, or one a prefix of the other and at least MIN_PREFIX long (`max`~`maximum`)."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= MIN_PREFIX and long_.startswith(short)


def shares_subword(identifier: str, word: str) -> bool:
    """Whether a code identifier and a docstring word share a sub-word (`file_path`~`path`,
    `file`~`filename`, `maximum`~`max`). Punctuation and specials (`<eos>`, `<unk>`) share nothing."""
    if word.startswith("<") and word.endswith(">"):
        return False
    return any(pieces_match(a, b) for a in name_pieces(identifier) for b in name_pieces(word))


def subword_alignment_rate(examples: Iterable[tuple], seed: int = 0) -> dict:
    """How often a generated identifier's strongest attention falls on a docstring word sharing a
    sub-word with it, against chance.

    `examples`: iterable of (weights [tgt_len, src_len], src_tokens, tgt_tokens).
    Returns a dict:
      identifiers   number of generated identifiers (non-keyword names, layout excluded)
      aligned       how many of them attend most to a sub-word-sharing docstring word
      rate          aligned / identifiers (None when there are no identifiers)
      chance_rate   expected rate under uniform attention: mean over identifiers of the share of
                    docstring positions that match it (the same as a uniformly random position)
      random_rate   the rate when a random docstring position (numpy generator seeded `seed`) replaces
                    the argmax: one draw of what chance_rate is the expectation of
      oracle_rate   share of identifiers for which some docstring word matches at all (the ceiling)
      rate_when_matchable  aligned / identifiers that have a match (None when none has)
      z, p_value    one-sided test that `aligned` exceeds chance: the count under chance is a sum of
                    independent Bernoulli(p_i) (p_i = identifier i's chance share); normal approximation
      examples      number of examples read
    """
    rng = np.random.default_rng(seed)
    n_examples = identifiers = aligned = random_hits = matchable = 0
    chances: list[float] = []
    for weights, src_tokens, tgt_tokens in examples:
        n_examples += 1
        matrix, src_tokens, tgt_tokens = with_eos(weights, src_tokens, tgt_tokens)
        if not src_tokens:
            continue
        for i, token in enumerate(tgt_tokens):
            if not is_name(token):
                continue
            matches = np.array([shares_subword(token, word) for word in src_tokens])
            identifiers += 1
            aligned += bool(matches[matrix[i].argmax()])
            random_hits += bool(matches[rng.integers(len(src_tokens))])
            matchable += bool(matches.any())
            chances.append(float(matches.mean()))
    expected = sum(chances)
    variance = sum(p * (1 - p) for p in chances)
    z = (aligned - expected) / math.sqrt(variance) if variance > 0 else None
    return {
        "identifiers": identifiers,
        "aligned": aligned,
        "rate": aligned / identifiers if identifiers else None,
        "chance_rate": expected / identifiers if identifiers else None,
        "random_rate": random_hits / identifiers if identifiers else None,
        "oracle_rate": matchable / identifiers if identifiers else None,
        "rate_when_matchable": aligned / matchable if matchable else None,
        "z": z,
        "p_value": 0.5 * math.erfc(z / math.sqrt(2)) if z is not None else None,
        "examples": n_examples,
    }


# --- probes --------------------------------------------------------------------------------------

def _probe_rows(matrix: np.ndarray, src_tokens, tgt_tokens, word: str, targets) -> tuple[np.ndarray, np.ndarray] | str:
    """Attention mass on `word` at target rows and at the other rows, or the reason there is none."""
    columns = [j for j, s in enumerate(src_tokens) if str(s).lower() == word.lower()]
    if not columns:
        return f"'{word}' is not in the docstring"
    mass = matrix[:, columns].sum(axis=1)  # all occurrences of the word together
    is_target = np.array([str(t) in set(targets) for t in tgt_tokens], dtype=bool)
    return mass[is_target], mass[~is_target]


def _probe_result(word, targets, target_mass, other_mass, reason=None, examples=None) -> dict:
    result = {"word": word, "targets": list(targets), "target_rows": int(len(target_mass)),
              "other_rows": int(len(other_mass)), "target_mean": None, "other_mean": None,
              "ratio": None, "reason": reason}
    if examples is not None:
        result["examples"] = examples
    if reason:
        return result
    if len(target_mass):
        result["target_mean"] = float(np.mean(target_mass))
    if len(other_mass):
        result["other_mean"] = float(np.mean(other_mass))
    if result["target_mean"] is None:
        result["reason"] = f"no generated token in {list(targets)}"
    elif result["other_mean"] is None:
        result["reason"] = "every generated token is a target: nothing to compare with"
    elif result["other_mean"] == 0:
        result["reason"] = f"the other rows give '{word}' no attention: ratio undefined"
    else:
        result["ratio"] = result["target_mean"] / result["other_mean"]
    return result


def probe_attention(weights, src_tokens, tgt_tokens, word: str = "maximum",
                    targets: Sequence[str] = ("max", ">", ">=")) -> dict:
    """Does the docstring word's column light up at the code tokens it should produce?

    The attention on `word` (case-insensitive; several occurrences summed) is averaged over the target
    rows whose token is in `targets` (exact match) and over all other rows.
    Returns {word, targets, target_rows, other_rows, target_mean, other_mean, ratio, reason}: numbers are
    None when they cannot be computed, and `reason` then says why (None when all are present)."""
    matrix, src_tokens, tgt_tokens = with_eos(weights, src_tokens, tgt_tokens)
    rows = _probe_rows(matrix, src_tokens, tgt_tokens, word, targets)
    if isinstance(rows, str):
        return _probe_result(word, targets, [], [], reason=rows)
    return _probe_result(word, targets, *rows)


def probe_corpus(examples: Iterable[tuple], word: str = "maximum",
                 targets: Sequence[str] = ("max", ">", ">=")) -> dict:
    """`probe_attention` pooled over the rows of every example whose docstring contains `word`.

    `examples`: iterable of (weights, src_tokens, tgt_tokens). Same keys as probe_attention, plus
    `examples`: how many examples contained the word."""
    target_mass, other_mass, used = [], [], 0
    for weights, src_tokens, tgt_tokens in examples:
        rows = _probe_rows(*with_eos(weights, src_tokens, tgt_tokens), word, targets)
        if isinstance(rows, str):
            continue
        used += 1
        target_mass.extend(rows[0])
        other_mass.extend(rows[1])
    reason = None if used else f"no docstring contains '{word}'"
    return _probe_result(word, targets, target_mass, other_mass, reason=reason, examples=used)


def attention_examples(predictions: pd.DataFrame) -> list[tuple]:
    """(weights, src, hypothesis) triples of a predictions table with an `attention` column, the input
    of subword_alignment_rate and probe_corpus."""
    return [(row.attention, list(row.src), list(row.hypothesis)) for row in predictions.itertuples()]


# --- choosing examples ---------------------------------------------------------------------------

# What each rule picks, in words a report can quote.
RULE_DESCRIPTIONS = {
    "length_terciles": "in each third of the test set by docstring length (short, medium, long), the output "
                       "with the highest sentence BLEU among those that parse (among all, where none parses)",
    "best": "the outputs with the highest sentence BLEU",
    "worst": "the outputs with the lowest sentence BLEU",
    "per_error_class": "in each error class, the outputs with the shortest generated code",
}
RULES = tuple(RULE_DESCRIPTIONS)


def choose_examples(predictions: pd.DataFrame, rule: str = "length_terciles", n: int = 1) -> pd.DataFrame:
    """Deterministically chosen rows of `predictions` (its index kept), with a `choice` label column.

    Ties are always broken by the shorter reference, then by position in the table, so the same table
    gives the same choice. Rules:
      length_terciles  rows ranked by docstring length (len(src), stable) and cut into three equal
                       thirds: short / medium / long. In each, the `n` rows with the highest sentence
                       BLEU among those that parse (parse_ok), or among all its rows when none parses.
      best             the `n` rows with the highest BLEU ("best").
      worst            the `n` rows with the lowest BLEU ("worst").
      per_error_class  up to `n` rows of each error_class, shortest generated code first
                       (readable in a report); labelled by class, in order of first appearance.
    """
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; expected one of {RULES}")
    table = predictions.assign(
        _pos=np.arange(len(predictions)),
        _ref_len=[len(r) for r in predictions["reference"]],
    )
    if rule == "best":
        chosen = table.sort_values(["bleu", "_ref_len", "_pos"], ascending=[False, True, True]).head(n)
        chosen = chosen.assign(choice="best")
    elif rule == "worst":
        chosen = table.sort_values(["bleu", "_ref_len", "_pos"]).head(n).assign(choice="worst")
    elif rule == "per_error_class":
        table = table.assign(_gen_len=[len(str(c)) for c in table["generated_code"]])
        parts = [group.sort_values(["_gen_len", "_pos"]).head(n).assign(choice=label)
                 for label, group in table.groupby("error_class", sort=False)]
        chosen = pd.concat(parts) if parts else table.head(0).assign(choice=[])
    else:
        chosen = _by_length_tercile(table, n)
    return chosen.drop(columns=[c for c in chosen.columns if c.startswith("_")])


def _by_length_tercile(table: pd.DataFrame, n: int) -> pd.DataFrame:
    order = np.argsort([len(s) for s in table["src"]], kind="stable")
    parts = []
    for label, positions in zip(("short", "medium", "long"), np.array_split(order, 3)):
        third = table.iloc[positions]
        parsing = third[third["parse_ok"].astype(bool)]
        third = parsing if len(parsing) else third  # a third where nothing parses still gets its example
        if len(third):
            best = third.sort_values(["bleu", "_ref_len", "_pos"], ascending=[False, True, True]).head(n)
            parts.append(best.assign(choice=label))
    return pd.concat(parts) if parts else table.head(0).assign(choice=[])
