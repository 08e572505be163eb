"""A linear score over candidate features, its weights fit on the validation split for corpus BLEU.

The fit is coordinate ascent on the corpus BLEU of the chosen candidates (Och's minimum error rate training in
its simplest form): each weight in turn takes the value of a grid that gives the best BLEU, the others fixed,
until a whole pass changes nothing; from several starting points, since BLEU has many local optima. BLEU's
sufficient statistics of every candidate are computed once, so a trial is a sum, not a rescoring. Features are
standardised first, so the grid fits all of them.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lib.evaluation.metrics import bleu_of_statistics, sentence_bleu

GRID = np.round(np.linspace(-3.0, 3.0, 61), 2)  # the values each (standardised) feature's weight may take
MAX_PASSES = 20
RANDOM_STARTS = 8  # seeded random starting weights, besides zero and each feature alone


@dataclass(frozen=True)
class LinearRanker:
    """score(candidate) = ((features - mean) / scale) . weights; each docstring gets its best-scoring candidate."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]

    def scores(self, matrix: np.ndarray) -> np.ndarray:
        """[n_candidates, n_features] -> [n_candidates]."""
        return ((matrix - np.array(self.mean)) / np.array(self.scale)) @ np.array(self.weights)

    def choose(self, pools: Sequence[np.ndarray]) -> list[int]:
        """The index of the chosen candidate of each pool (its feature matrix); the first one on a tie."""
        return [int(np.argmax(self.scores(matrix))) for matrix in pools]

    def as_dict(self) -> dict:
        return {"features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
                "weights": list(self.weights)}

    @classmethod
    def from_dict(cls, values: dict) -> LinearRanker:
        return cls(*(tuple(values[key]) for key in ("features", "mean", "scale", "weights")))


def fit_ranker(names: Sequence[str], pools: Sequence[np.ndarray], statistics: Sequence[np.ndarray], seed: int = 0
               ) -> tuple[LinearRanker, float]:
    """(the ranker whose choices have the best corpus BLEU, that BLEU). `pools`: each docstring's feature matrix
    [n_candidates, len(names)]; `statistics`: each candidate's BLEU statistics (lib.evaluation.metrics,
    segment_statistics) [n_candidates, S].

    Coordinate ascent finds a local optimum, so it runs from several starts and keeps the best: zero weights (every
    docstring gets its pool's first candidate, the first pool model's best, so the fit never does worse than that
    on these pools), each feature alone with either sign, and RANDOM_STARTS seeded random weights."""
    if not pools or any(len(pool) == 0 for pool in pools):
        raise ValueError("fit_ranker needs at least one docstring, and a candidate for each")
    every = np.concatenate(pools)
    mean, scale = every.mean(0), every.std(0)
    scale[scale == 0] = 1.0  # a constant feature (e.g. similarity with k = 0) cannot rank; keep it harmless
    features, stats, valid = _padded([(pool - mean) / scale for pool in pools], statistics)
    rows = np.arange(len(pools))

    def bleu(weights: np.ndarray) -> float:
        scores = np.where(valid, features @ weights, -np.inf)  # [n_docstrings, max_candidates]
        return bleu_of_statistics(stats[rows, scores.argmax(1)].sum(0))

    n = len(names)
    starts = [np.zeros(n), *np.eye(n), *-np.eye(n),
              *np.random.default_rng(seed).normal(size=(RANDOM_STARTS, n)).round(1).clip(GRID[0], GRID[-1])]
    weights, best = max((_ascend(bleu, start) for start in starts), key=lambda found: found[1])
    return LinearRanker(tuple(names), tuple(map(float, mean)), tuple(map(float, scale)),
                        tuple(map(float, weights))), best


def oracle_bleu(candidates: Sequence[Sequence[Sequence[str]]], references: Sequence[Sequence[str]],
                statistics: Sequence[np.ndarray]) -> float:
    """Corpus BLEU when each docstring gets the candidate (tokens) of best sentence BLEU: the room a ranker has;
    `statistics` as fit_ranker's."""
    best = [int(np.argmax([sentence_bleu(tokens, reference) for tokens in pool]))
            for pool, reference in zip(candidates, references)]
    return bleu_of_statistics(sum(stats[i] for stats, i in zip(statistics, best)))


def _ascend(bleu, weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Coordinate ascent of `bleu` over the GRID from `weights`: (the weights where a whole pass changed nothing,
    their BLEU)."""
    best = bleu(weights)
    for _ in range(MAX_PASSES):
        improved = False
        for column in range(len(weights)):
            for value in GRID:
                trial = weights.copy()
                trial[column] = value
                score = bleu(trial)
                if score > best + 1e-9:
                    weights, best, improved = trial, score, True
        if not improved:
            break
    return weights, best


def _padded(features: Sequence[np.ndarray], statistics: Sequence[np.ndarray]):
    """Pools as arrays: features [n, m, F], statistics [n, m, S] and the mask of real candidates [n, m]."""
    width = max(len(pool) for pool in features)
    n, n_features, n_stats = len(features), features[0].shape[1], statistics[0].shape[1]
    padded_features = np.zeros((n, width, n_features))
    padded_stats = np.zeros((n, width, n_stats), dtype=np.int64)
    valid = np.zeros((n, width), dtype=bool)
    for i, (pool, stats) in enumerate(zip(features, statistics)):
        padded_features[i, : len(pool)], padded_stats[i, : len(pool)], valid[i, : len(pool)] = pool, stats, True
    return padded_features, padded_stats, valid
