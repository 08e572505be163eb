"""The rerank system as a whole: what it reads (its params, the pool models, the reverse model, the training
split's retriever and, once fit, the ranker) and what it does with docstrings. The rerank stage and
`python -m lib.generate --model rerank` both go through it."""
from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lib.common.config import DecodeConfig, ParamError, RerankConfig
from lib.evaluation.retrieval import TfidfRetriever
from lib.models.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from lib.models.registry import MODEL_KINDS
from lib.rerank.candidates import Candidate, model_candidates, retrieved_candidates
from lib.rerank.features import pool_features
from lib.rerank.ranker import LinearRanker

RANKER_FILE = "ranker.json"  # in the rerank stage's results folder
RANKER_PATH = Path("data/rerank") / RANKER_FILE  # where dvc.yaml's rerank stage writes it (lib.generate reads it)
REVERSE_CHECKPOINT = "reverse.pt"  # in the models folder (stage train_reverse)


def check_config(config: RerankConfig) -> None:
    """ParamError, in one line, for a pool model the registry lacks or a forward feature with no model to score."""
    for i, name in enumerate(config.models):
        if name not in MODEL_KINDS:
            close = difflib.get_close_matches(name, MODEL_KINDS, n=1)
            hint = f"did you mean {close[0]}?" if close else f"expected one of {', '.join(MODEL_KINDS)}"
            raise ParamError(f"params.yaml: rerank.models[{i}]: unknown model {name!r}; {hint}")
    if "forward" in config.features and not config.models:
        raise ParamError("params.yaml: rerank.features names forward, which needs a model in rerank.models")


def load_reverse(path: Path, device="cpu") -> Checkpoint:
    """The reverse model (code -> docstring) of stage train_reverse; CheckpointError for a forward checkpoint."""
    checkpoint = load_checkpoint(path, device=device)
    if not checkpoint.config.get("reverse"):
        raise CheckpointError(f"{path} holds a forward {checkpoint.kind} model, not the reverse one: "
                              f"run `dvc repro train_reverse`")
    return checkpoint


@dataclass
class Reranker:
    """The pool models (the first also scores the forward feature), the reverse model, the retriever over the
    training split and, once fit, the ranker."""

    config: RerankConfig
    decode: DecodeConfig
    models: dict[str, Checkpoint]
    reverse: Checkpoint | None
    retriever: TfidfRetriever
    ranker: LinearRanker | None = None
    device: str = "cpu"

    @classmethod
    def load(cls, config: RerankConfig, decode: DecodeConfig, models_dir: Path, reverse: Path, train: pd.DataFrame,
             ranker: Path | None = None, device="cpu") -> Reranker:
        """The system from the pipeline's files: <models_dir>/<model>.pt for each pool model, the reverse checkpoint
        (read only when a feature needs it), the training split (src, tgt) and a fitted ranker's JSON, if any."""
        check_config(config)
        models = {name: load_checkpoint(Path(models_dir) / f"{name}.pt", device=device) for name in config.models}
        reverse_model = load_reverse(reverse, device) if "reverse" in config.features else None
        retriever = TfidfRetriever().fit(list(train["src"]), list(train["tgt"]))
        fitted = LinearRanker.from_dict(json.loads(Path(ranker).read_text())) if ranker else None
        if fitted is not None and fitted.features != config.features:
            raise ParamError(f"{ranker} was fit on features {list(fitted.features)}, but rerank.features is "
                             f"{list(config.features)}: run `dvc repro rerank`")
        return cls(config, decode, models, reverse_model, retriever, fitted, device)

    def pools(self, sources: Sequence[Sequence[str]]) -> list[list[Candidate]]:
        """Each docstring's candidates: every pool model's, then the retrieved ones."""
        pools: list[list[Candidate]] = [[] for _ in sources]
        for name, checkpoint in self.models.items():
            for pool, found in zip(pools, model_candidates(name, checkpoint, sources, self.config, self.decode,
                                                           self.device)):
                pool.extend(found)
        for pool, found in zip(pools, retrieved_candidates(self.retriever, sources, self.config.retrieved)):
            pool.extend(found)
        return pools

    def features(self, sources: Sequence[Sequence[str]], pools: Sequence[Sequence[Candidate]]) -> list[np.ndarray]:
        """[len(pool), n_features] of each docstring's pool, columns in rerank.features order."""
        forward = self.models[self.config.models[0]] if self.config.models else None
        return pool_features(pools, sources, self.config.features, forward, self.reverse)

    def answer(self, sources: Sequence[Sequence[str]]) -> list[Candidate]:
        """The chosen candidate of each docstring (the ranker must be fit)."""
        if self.ranker is None:
            raise ValueError("the reranker has no fitted ranker")
        pools = self.pools(sources)
        chosen = self.ranker.choose(self.features(sources, pools))
        return [pool[i] for pool, i in zip(pools, chosen)]
