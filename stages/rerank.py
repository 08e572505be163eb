r"""Stage `rerank`: the fifth system. For each validation and test docstring, a pool of candidates (the pool models'
N-best, with and without the minimum length, and the retrieval baseline's top k), scored by a linear ranker whose
weights are fit on the validation split only.

    python -m stages.rerank --split data/split --models models --reverse models/reverse.pt --results data/rerank \
        --metrics metrics/rerank.json --timings metrics/timings/rerank.json

Writes <results>/{valid,test}.parquet (the chosen code, where it came from, the pool's size), <results>/ranker.json
(what lib.generate --model rerank reads) and the metrics: the weights, the validation BLEU of the choice, of the
first candidate and of the pool's best (oracle), and how often each source was chosen. evaluate scores the test
choices beside the other systems.
"""
import argparse
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from lib.common.cli import run_stage, stage_parser
from lib.common.config import Config, DecodeConfig, RerankConfig, load_config
from lib.common.device import resolve_device
from lib.common.outputs import atomic_dir, write_json_atomic
from lib.evaluation.metrics import bleu_of_statistics, segment_statistics
from lib.rerank.candidates import SOURCES
from lib.rerank.ranker import fit_ranker, oracle_bleu
from lib.rerank.system import RANKER_FILE, Reranker

SPLITS = ("valid", "test")


def command_line() -> argparse.ArgumentParser:
    parser, inputs, outputs = stage_parser(__doc__)
    inputs.add_argument("--split", type=Path, required=True, help="folder: {train,valid,test}.parquet")
    inputs.add_argument("--models", type=Path, required=True, help="folder of the pool models' <model>.pt")
    inputs.add_argument("--reverse", type=Path, required=True, help="the reverse model's checkpoint")
    outputs.add_argument("--results", type=Path, required=True,
                         help=f"folder: {{valid,test}}.parquet (the choices), {RANKER_FILE}")
    outputs.add_argument("--metrics", type=Path, required=True, help="JSON file: weights, validation BLEU, sources")
    outputs.add_argument("--timings", type=Path, required=True, help="JSON file: seconds per step, device")
    return parser


def read_config(params: Config) -> tuple[RerankConfig, DecodeConfig, str]:
    """The `rerank` and `decode` sections, and the device to decode on."""
    return params.rerank, params.decode, params.train.device


def main(args: argparse.Namespace) -> None:
    config, decode, device = read_config(load_config())
    device = resolve_device(device)
    frames = {name: pd.read_parquet(args.split / f"{name}.parquet") for name in ("train", *SPLITS)}
    reranker = Reranker.load(config, decode, args.models, args.reverse, frames["train"], device=device)
    timings, pools, features = {"device": str(device)}, {}, {}
    for split in SPLITS:
        start = time.perf_counter()
        sources = list(frames[split]["src"])
        pools[split] = reranker.pools(sources)
        timings[f"{split}_candidates_seconds"] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()
        features[split] = reranker.features(sources, pools[split])
        timings[f"{split}_features_seconds"] = round(time.perf_counter() - start, 2)
    references = list(frames["valid"]["tgt"])
    statistics = [segment_statistics([c.tokens for c in pool], [reference] * len(pool))
                  for pool, reference in zip(pools["valid"], references)]
    ranker, valid_bleu = fit_ranker(config.features, features["valid"], statistics)
    chosen = {split: [pool[i] for pool, i in zip(pools[split], ranker.choose(features[split]))] for split in SPLITS}
    metrics = {
        "pool": {"models": list(config.models), "beam_size": config.beam_size, "short": config.short,
                 "retrieved": config.retrieved},
        "weights": dict(zip(config.features, ranker.weights)),
        "valid": {
            "bleu": round(valid_bleu, 2),
            "first_candidate_bleu": round(bleu_of_statistics(sum(stats[0] for stats in statistics)), 2),
            "oracle_bleu": round(oracle_bleu([[c.tokens for c in pool] for pool in pools["valid"]], references,
                                             statistics), 2),
        },
    }
    for split in SPLITS:
        counts = Counter(candidate.source for candidate in chosen[split])
        metrics.setdefault(split, {}).update(
            sources={source: counts[source] for source in SOURCES},
            pool_size=round(float(np.mean([len(pool) for pool in pools[split]])), 2))
    with atomic_dir(args.results) as staging:
        for split in SPLITS:
            pd.DataFrame({"hypothesis": [list(c.tokens) for c in chosen[split]],
                          "source": [c.source for c in chosen[split]], "model": [c.model or "" for c in chosen[split]],
                          "pool_size": [len(pool) for pool in pools[split]]}).to_parquet(
                staging / f"{split}.parquet", index=False)
        write_json_atomic(staging / RANKER_FILE, ranker.as_dict())
    write_json_atomic(args.metrics, metrics)
    write_json_atomic(args.timings, timings)
    print(f"rerank: weights {metrics['weights']}; validation BLEU {metrics['valid']['bleu']} (first candidate "
          f"{metrics['valid']['first_candidate_bleu']}, oracle {metrics['valid']['oracle_bleu']}); "
          f"test sources {metrics['test']['sources']}")


if __name__ == "__main__":
    run_stage(lambda: main(command_line().parse_args()))
