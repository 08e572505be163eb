"""Figures of the study. Each function draws one figure, writes it as a PNG and returns the path.

Inputs are the pipeline's own files read into pandas / dicts (see each function); nothing here
trains or evaluates. The Agg backend renders without a display (CI, DVC stages).
"""
from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lib.evaluation.errors import ERROR_CLASSES  # noqa: E402
from lib.evaluation.scoring import BASELINE, RERANK, in_system_order  # noqa: E402
from lib.models.registry import MODELS  # noqa: E402
from lib.study.interpretation import with_eos  # noqa: E402

# One colour per system in every figure, so a reader matches them across figures.
COLORS = {**{name: spec.colour for name, spec in MODELS.items()}, RERANK: "tab:red", BASELINE: "tab:gray"}
# Layout tokens as one-character glyphs (DejaVu Sans, matplotlib's default font, has them).
# Fixed colour per error class (green = correct), whatever classes a system has.
CLASS_COLORS = {"correct": "tab:green", "indentation_error": "tab:red", "syntax_error": "tab:orange",
                "wrong_operator": "tab:purple", "wrong_variable": "tab:blue", "other_mismatch": "tab:gray",
                "unrelated": "tab:brown"}
LAYOUT_GLYPHS = {"<NEWLINE>": "⏎", "<INDENT>": "→", "<DEDENT>": "←"}
DPI = 150


def _color(system: str, index: int) -> str:
    return COLORS.get(system, f"C{index % 10}")


def _save(fig, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return path


def _table(value) -> pd.DataFrame:
    """A DataFrame, or the CSV file a path names."""
    return value if isinstance(value, pd.DataFrame) else pd.read_csv(value)


def plot_loss_curves(curves: Mapping[str, pd.DataFrame | str | Path], path) -> Path:
    """Train (solid) and validation (dashed) loss per epoch of every model on one figure.

    `curves`: model -> DataFrame (lib.study.context.read_loss_curve) or CSV path, with columns
    epoch, train_loss, valid_loss."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, (model, value) in enumerate(curves.items()):
        table = _table(value)
        color = _color(model, i)
        ax.plot(table["epoch"], table["train_loss"], color=color, marker=".", label=f"{model} train")
        ax.plot(table["epoch"], table["valid_loss"], color=color, marker=".", linestyle="--",
                label=f"{model} valid")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title("Training and validation loss (validation dashed)")
    ax.grid(alpha=0.3)
    ax.legend(ncol=2, fontsize=8)
    return _save(fig, path)


def length_systems(length: pd.DataFrame) -> list[str]:
    """Systems present in a length or learning-curve table: the prefixes of its `<system>_bleu` columns, known
    ones first."""
    found = [c[: -len("_bleu")] for c in length.columns if c.endswith("_bleu")]
    return in_system_order(found)


def plot_length_buckets(length: pd.DataFrame | str | Path, path) -> Path:
    """BLEU (left) and parse rate (right) per docstring-length bucket, one line per system.

    `length`: DataFrame (or CSV path, `plots/length.csv`) with `max_src_len` (bucket upper edge, orders
    the buckets), `bucket` (its label) and `<system>_bleu`, `<system>_parse_rate` per system."""
    table = _table(length).sort_values("max_src_len")
    x = np.arange(len(table))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for i, system in enumerate(length_systems(table)):
        for ax, metric in zip(axes, ("bleu", "parse_rate")):
            column = f"{system}_{metric}"
            if column in table:
                # The baseline dashed, so it reads as a reference line rather than a fourth model.
                ax.plot(x, table[column], marker="o", color=_color(system, i), label=system,
                        linestyle="--" if system == "retrieval" else "-")
    for ax, label in zip(axes, ("BLEU", "parse rate")):
        ax.set_xticks(x, table["bucket"].astype(str), rotation=30, ha="right")
        ax.set_xlabel("docstring length (tokens)")
        ax.set_ylabel(label)
        ax.set_title(f"{label} by docstring length")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def plot_learning_curve(curve: pd.DataFrame | str | Path, path) -> Path:
    """Test BLEU against training pairs, one line per system with its 95% bootstrap interval as a band.

    `curve`: DataFrame (or CSV path, `plots/learning_curve.csv`) with `train_pairs` and `<system>_bleu`,
    `<system>_ci_low`, `<system>_ci_high` per system (lib/study/experiments.py)."""
    table = _table(curve).sort_values("train_pairs")
    x = table["train_pairs"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, system in enumerate(length_systems(table)):
        color = _color(system, i)
        # The baseline dashed, as in the length figure.
        ax.plot(x, table[f"{system}_bleu"], marker="o", color=color, label=system,
                linestyle="--" if system == "retrieval" else "-")
        ax.fill_between(x, table[f"{system}_ci_low"], table[f"{system}_ci_high"], color=color, alpha=0.15)
    ax.set_xscale("log")  # the sizes double
    ax.set_xticks(x, [f"{n:,}" for n in x])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xlabel("training pairs")
    ax.set_ylabel("BLEU")
    ax.set_title("Test BLEU by training-set size (95% bootstrap intervals)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def error_shares(evaluation: Mapping[str, Mapping]) -> pd.DataFrame:
    """Share of each error class per system: rows systems (those with `errors`), columns classes
    (known ones in ERROR_CLASSES order, then any others; `*_total` unions left out), values
    count / total count of the system."""
    # "<x>_total" entries are unions of classes (syntax_error_total): stacking them would count twice.
    counts = {system: {cls: v["count"] for cls, v in section["errors"].items() if not cls.endswith("_total")}
              for system, section in evaluation.items() if isinstance(section, Mapping) and "errors" in section}
    table = pd.DataFrame(counts).T.fillna(0)
    extra = sorted(c for c in table.columns if c not in ERROR_CLASSES)
    table = table.reindex(columns=[c for c in ERROR_CLASSES if c in table.columns] + extra)
    return table.div(table.sum(axis=1).replace(0, 1), axis=0)


def plot_error_taxonomy(evaluation: Mapping[str, Mapping], path) -> Path:
    """Stacked horizontal bars: for each system, the share of test examples in each error class.

    `evaluation`: metrics/eval.json as a dict; every system section with an `errors` entry
    ({class: {count, rate}}) gets a bar."""
    shares = error_shares(evaluation)
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.6 * len(shares)))
    left = np.zeros(len(shares))
    for k, cls in enumerate(shares.columns):
        values = shares[cls].to_numpy()
        bars = ax.barh(shares.index, values, left=left, color=CLASS_COLORS.get(cls, f"C{k % 10}"), label=cls)
        # Label segments wide enough to hold the number.
        ax.bar_label(bars, labels=[f"{v:.0%}" if v >= 0.06 else "" for v in values],
                     label_type="center", fontsize=7)
        left += values
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.invert_yaxis()  # systems top to bottom in their order
    ax.set_xlabel("share of test examples")
    ax.set_title("Error taxonomy")
    ax.legend(ncol=3, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(shares) < 3 else -0.2))
    return _save(fig, path)


def display_token(token: str, max_chars: int = 14) -> str:
    """A token as an axis label: layout tokens as glyphs, long tokens cut with an ellipsis."""
    token = LAYOUT_GLYPHS.get(token, token)
    token = token if len(token) <= max_chars else token[: max_chars - 1] + "…"
    return token.replace("$", r"\$")  # a literal dollar: two of them would start mathtext


def _label_fontsize(n_labels: int) -> float:
    """Smaller labels for longer sequences, between 5 and 11 points."""
    return float(np.clip(220 / max(n_labels, 1), 5, 11))


def attention_heatmap(weights, src_tokens: Sequence[str], tgt_tokens: Sequence[str], path,
                      title: str = "", copy_gate: Sequence[float] | None = None,
                      rows: str = "generated code tokens") -> Path:
    """One example's attention: rows generated code tokens, columns docstring tokens, with a colorbar.

    `weights`: [tgt_len, src_len] (rows: generated tokens); an extra column / row for the source /
    generated EOS is labelled <eos>. Layout tokens show as ⏎ (newline), → (indent), ← (dedent).
    `copy_gate` [len(tgt_tokens)] (the copy model's p_gen per token) adds a strip on the right: 1 = written
    from the vocabulary, 0 = copied from the docstring. `rows` names the rows (the code a model read, when it
    was forced to read given code)."""
    matrix, src_tokens, tgt_tokens = with_eos(weights, src_tokens, tgt_tokens)
    n_src, n_tgt = len(src_tokens), len(tgt_tokens)
    # About a quarter inch per cell, kept within what a page can show.
    size = (np.clip(2.5 + 0.28 * n_src, 5, 16), np.clip(1.8 + 0.22 * n_tgt, 4, 22))
    if copy_gate is None:
        fig, ax = plt.subplots(figsize=size)
    else:
        fig, (ax, gate_ax) = plt.subplots(1, 2, figsize=(size[0] + 0.8, size[1]), sharey=True,
                                          gridspec_kw={"width_ratios": [max(n_src, 1), 1.2], "wspace": 0.45})
        gates = np.full((n_tgt, 1), np.nan)
        gates[: len(copy_gate), 0] = copy_gate
        gate_ax.imshow(gates, cmap="coolwarm_r", aspect="auto", vmin=0, vmax=1, interpolation="nearest")
        for row, value in enumerate(copy_gate):
            gate_ax.text(0, row, f"{value:.2f}", ha="center", va="center", fontsize=6)
        gate_ax.set_xticks([0], ["p_gen"], fontsize=8)
        gate_ax.tick_params(axis="y", left=False, labelleft=False)
    image = ax.imshow(matrix, cmap="viridis", aspect="auto", vmin=0, vmax=max(matrix.max(initial=0), 1e-9),
                      interpolation="nearest")
    ax.set_xticks(range(n_src), [display_token(str(t)) for t in src_tokens], rotation=60, ha="right",
                  rotation_mode="anchor", fontsize=_label_fontsize(n_src))
    ax.set_yticks(range(n_tgt), [display_token(str(t)) for t in tgt_tokens], fontsize=_label_fontsize(n_tgt))
    ax.set_xlabel("docstring tokens")
    ax.set_ylabel(rows)
    if title:
        # Wrapped by hand: matplotlib's wrap=True measures the text as mathtext even with
        # parse_math=False, and docstrings may hold "$x$".
        width = int(fig.get_figwidth() * 11)  # characters of 10-point text per line
        ax.set_title(textwrap.fill(title, width), fontsize=10, parse_math=False)
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02, label="attention weight")
    return _save(fig, path)


def plot_alignment_rates(alignment: Mapping, path) -> Path:
    """Bars comparing the identifier-to-docstring alignment rate with its chance levels and ceiling.

    `alignment`: the dict of interpretation.subword_alignment_rate."""
    labels = {"rate": "attention argmax", "random_rate": "random position", "chance_rate": "uniform (expected)",
              "oracle_rate": "ceiling (any match)"}
    names = [name for key, name in labels.items() if alignment.get(key) is not None]
    values = [alignment[key] for key in labels if alignment.get(key) is not None]
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    bars = ax.bar(names, values, color=["tab:green", "tab:gray", "tab:gray", "tab:blue"][: len(values)])
    ax.bar_label(bars, labels=[f"{v:.1%}" for v in values], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share of generated identifiers")
    ax.set_title(f"Identifiers attending to a sub-word-sharing docstring word (n={alignment.get('identifiers', 0)})",
                 fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    return _save(fig, path)
