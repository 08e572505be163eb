"""Pairs -> disjoint train / valid / test splits without leakage, and the statistics of the result."""
from __future__ import annotations

import random
from collections import Counter

import pandas as pd

from lib.tokens.vocabulary import Vocabulary

SPLITS = ("train", "valid", "test")


def assign_splits(pairs: pd.DataFrame, seed: int, valid_fraction: float, test_fraction: float) -> pd.Series:
    """The split of each row: the source's `partition` when every row has one, else whole files.

    Files (`repo` + `path`) are shuffled with `seed` and dealt to test, then valid, until each holds its
    fraction of the rows; the rest go to train. So no file contributes functions to two splits.
    """
    if pairs["partition"].isin(SPLITS).all():
        return pairs["partition"]
    files = pairs["repo"] + "/" + pairs["path"]
    sizes = files.value_counts().sort_index()
    order = list(sizes.index)
    random.Random(seed).shuffle(order)
    quota = {"test": test_fraction * len(pairs), "valid": valid_fraction * len(pairs)}
    dealt, split_of = Counter(), {}
    for file in order:
        name = next((name for name in quota if dealt[name] < quota[name]), "train")
        split_of[file] = name
        dealt[name] += sizes[file]
    return files.map(split_of)


def deduplicate(splits: dict[str, pd.DataFrame], removed: Counter) -> dict[str, pd.DataFrame]:
    """Splits without repeated (summary, code) pairs, and valid / test without code seen in an earlier split.

    Earlier means train for valid, train and valid for test; `removed` counts each reason.
    """
    seen_code: set[tuple] = set()
    result = {}
    for name in SPLITS:
        frame = splits[name]
        pair_keys = [(tuple(s), tuple(t)) for s, t in zip(frame["src"], frame["tgt"])]
        repeated = pd.Series(pair_keys, index=frame.index).duplicated()
        removed[f"{name}: repeated (summary, code) pair"] += int(repeated.sum())
        frame = frame[~repeated.to_numpy()]
        codes = [tuple(t) for t in frame["tgt"]]
        if name != "train":
            leaked = [code in seen_code for code in codes]
            removed[f"{name}: code also in an earlier split"] += sum(leaked)
            frame = frame[[not x for x in leaked]]
            codes = [tuple(t) for t in frame["tgt"]]
        seen_code.update(codes)
        result[name] = frame
    return result


def sample(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """`n` rows drawn with `seed` (all rows when there are fewer), in their original order."""
    if len(frame) <= n:
        return frame
    return frame.sample(n=n, random_state=seed).sort_index()


def length_stats(frame: pd.DataFrame) -> dict:
    stats = {}
    for column in ("src", "tgt"):
        lengths = frame[column].map(len)
        stats[column] = {"mean": round(float(lengths.mean()), 2), "median": float(lengths.median()),
                         "max": int(lengths.max())}
    return stats


def oov_rates(frame: pd.DataFrame, src_vocab: Vocabulary, tgt_vocab: Vocabulary) -> dict:
    return {"src": round(src_vocab.oov_rate(frame["src"]), 4), "tgt": round(tgt_vocab.oov_rate(frame["tgt"]), 4)}
