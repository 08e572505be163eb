"""Pairs -> disjoint train / valid / test splits without leakage, and the statistics of the result."""
from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection

import pandas as pd

from lib.prepare.near_duplicates import annotate, unmeasured
from lib.prepare.pairs import has_given_test as pairs_have_given_test
from lib.tokens.vocabulary import UNK_ID, Vocabulary

SPLITS = ("train", "valid", "test")


def has_official_partition(pairs: pd.DataFrame) -> bool:
    """True when the source assigns every row to train / valid / test (CodeSearchNet's `partition`)."""
    return bool(pairs["partition"].isin(SPLITS).all())


def has_given_test(pairs: pd.DataFrame) -> bool:
    """True when the source gives a test split (an official partition with test rows): it is scored as given,
    neither deduplicated, filtered nor sampled; the rule tokenize used to keep those rows unfiltered."""
    return pairs_have_given_test(pairs["partition"])


def assign_splits(pairs: pd.DataFrame, seed: int, valid_fraction: float, test_fraction: float) -> pd.Series:
    """The split of each row: the source's `partition` when every row has one, else whole files.

    Files (`repo` + `path`) are shuffled with `seed` and dealt to test, then valid, until each holds its
    fraction of the rows; the rest go to train. So no file contributes functions to two splits. A source
    that gives some splits only (train and test files) has the others carved so from its train rows.
    """
    if not has_official_partition(pairs):
        return carve(pairs, seed, {"test": test_fraction, "valid": valid_fraction})
    assigned = pairs["partition"].copy()
    missing = {name: fraction for name, fraction in (("test", test_fraction), ("valid", valid_fraction))
               if not (assigned == name).any()}
    if missing:
        train = assigned == "train"
        assigned[train] = carve(pairs[train], seed, missing)
    return assigned


def carve(pairs: pd.DataFrame, seed: int, fractions: dict[str, float]) -> pd.Series:
    """Whole files dealt to the splits of `fractions` in their order, each up to its fraction of the rows;
    train gets the rest."""
    files = pairs["repo"] + "/" + pairs["path"]
    sizes = files.value_counts().sort_index()
    order = list(sizes.index)
    random.Random(seed).shuffle(order)
    quota = {name: fraction * len(pairs) for name, fraction in fractions.items()}
    dealt, split_of = Counter(), {}
    for file in order:
        name = next((name for name in quota if dealt[name] < quota[name]), "train")
        split_of[file] = name
        dealt[name] += sizes[file]
    return files.map(split_of)


def deduplicate(splits: dict[str, pd.DataFrame], removed: Counter,
                as_given: Collection[str] = ()) -> dict[str, pd.DataFrame]:
    """Splits without repeated (summary, code) pairs, and valid / test without code seen in an earlier split.

    Earlier means train for valid, train and valid for test; `removed` counts each reason. The splits named
    in `as_given` (a test split the source gives) are left whole: `train_leakage` measures their overlap.
    """
    seen_code: set[tuple] = set()
    result = {}
    for name in SPLITS:
        frame = splits[name]
        if name in as_given:
            result[name] = frame
            continue
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


def train_leakage(test: pd.DataFrame, train: pd.DataFrame) -> pd.Series:
    """For each test row, whether a train row has exactly its code tokens: the leakage of a test split scored
    as given (nothing is removed from it)."""
    train_codes = {tuple(tokens) for tokens in train["tgt"]}
    return pd.Series([tuple(tokens) in train_codes for tokens in test["tgt"]], index=test.index, dtype=bool)


def sample(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """`n` rows drawn with `seed` (all rows when there are fewer), in their original order."""
    if len(frame) <= n:
        return frame
    return frame.sample(n=n, random_state=seed).sort_index()


def sample_splits(pools: dict[str, pd.DataFrame], sizes: dict[str, int], seed: int, policy: str,
                  official_test: bool, removed: Counter) -> dict[str, pd.DataFrame]:
    """The sampled splits, near-duplicates of train handled by `policy`, valid and test annotated.

    valid / test get the near-duplicate columns against the sampled train split. `keep` samples as if
    near-duplicates did not exist. `drop_from_eval` removes from the valid and test pools every function with
    a near-duplicate in the sampled train split, before sampling them; an official test partition
    (`official_test`) is never filtered, only annotated. `drop_from_train` samples valid and test first and
    removes from the train pool every function that is a near-duplicate of one of them; the train rows then
    hold their similarity to the nearest valid / test function. `removed` counts what each policy drops.
    """
    if policy == "drop_from_train":
        evaluation = {name: sample(pools[name], sizes[name], seed) for name in ("valid", "test")}
        candidates = annotate(pools["train"], pd.concat(evaluation.values()))
        removed["train: near-duplicate of a valid or test function"] += int(candidates["near_duplicate"].sum())
        train = sample(candidates[~candidates["near_duplicate"]], sizes["train"], seed)
        return {"train": train, **{name: annotate(frame, train) for name, frame in evaluation.items()}}
    train = sample(pools["train"], sizes["train"], seed)
    result = {"train": unmeasured(train)}
    for name in ("valid", "test"):
        if policy == "drop_from_eval" and not (name == "test" and official_test):
            pool = annotate(pools[name], train)
            removed[f"{name}: near-duplicate of a train function"] += int(pool["near_duplicate"].sum())
            result[name] = sample(pool[~pool["near_duplicate"]], sizes[name], seed)
        else:  # annotate the sample only: the pool can be much larger
            result[name] = annotate(sample(pools[name], sizes[name], seed), train)
    return result


def length_stats(frame: pd.DataFrame) -> dict:
    stats = {}
    for column in ("src", "tgt"):
        lengths = frame[column].map(len)
        stats[column] = {"mean": round(float(lengths.mean()), 2), "median": float(lengths.median()),
                         "max": int(lengths.max())}
    return stats


def oov_rates(frame: pd.DataFrame, src_vocab: Vocabulary, tgt_vocab: Vocabulary) -> dict:
    """Out-of-vocabulary shares of what the models read (`src`, `tgt`: tokens or sub-word pieces the vocabulary
    cannot write, spelling included) and of whole code tokens: `tgt_tokens`, a token a model cannot write
    (comparable across `tokenize.subwords`), and `tgt_spelled`, one it writes only by spelling a piece."""
    tokens = [token for sequence in frame["tgt"] for token in sequence]
    encodings = [tgt_vocab.encode([token]) for token in tokens]
    unwritable = sum(UNK_ID in ids for ids in encodings)
    spelled = sum(UNK_ID not in ids and len(ids) > len(tgt_vocab.pieces([token]))
                  for token, ids in zip(tokens, encodings))
    return {"src": round(src_vocab.oov_rate(frame["src"]), 4), "tgt": round(tgt_vocab.oov_rate(frame["tgt"]), 4),
            "tgt_tokens": round(unwritable / max(len(tokens), 1), 4),
            "tgt_spelled": round(spelled / max(len(tokens), 1), 4)}
