"""The study's report, as Markdown (renders on GitHub) and as a PDF (matplotlib only, no LaTeX).

The report is first built as a list of sections of plain blocks (paragraph, bullet list, table, code,
figure); two small renderers turn the same blocks into Markdown and into PDF pages, so both always say
the same thing. The conclusions are generated from the numbers by the explicit rules of `conclusions`.

Units: BLEU is sacrebleu's corpus BLEU on a 0-100 scale; every rate (exact match, parse rate,
accuracies, error-class rates, alignment rates) is a fraction in [0, 1], shown as a percentage.
"""
from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from lib.evaluation.scoring import BASELINE, in_system_order  # noqa: E402
from lib.study.interpretation import RULE_DESCRIPTIONS  # noqa: E402

SECTIONS = ("Data summary", "Shared configuration", "Results", "Loss curves", "Performance vs docstring length",
            "Error taxonomy", "Attention", "Qualitative examples", "Conclusions")
RESULT_COLUMNS = (("bleu", "BLEU"), ("exact_match", "exact match"), ("exact_match_short", "exact match (short)"),
                  ("parse_rate", "parse rate"), ("token_accuracy", "token accuracy (teacher forced)"),
                  ("positional_accuracy", "positional accuracy"))
ALPHA = 0.05          # significance level of the bootstrap statements and the alignment test
MAX_CODE_LINES = 15   # longer examples are cut in the report


# --- document model ------------------------------------------------------------------------------

@dataclass
class Block:
    """kind: 'p' (text), 'list' (items), 'table' (header, rows), 'code' (text), 'figure' (path, text=caption)."""
    kind: str
    text: str = ""
    items: list = field(default_factory=list)
    header: list = field(default_factory=list)
    path: str | None = None


def _p(text):
    return Block("p", text=text)


def _list(items):
    return Block("list", items=list(items))


def _table(header, rows):
    return Block("table", header=list(header), items=[list(r) for r in rows])


def _code(text):
    return Block("code", text=text)


def _figure(path, caption):
    return Block("figure", text=caption, path=None if path is None else str(path))


# --- number formatting ---------------------------------------------------------------------------

def missing(value) -> bool:
    """None or NaN (metrics of an empty set are NaN in eval.json)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_bleu(value) -> str:
    return "—" if missing(value) else f"{value:.2f}"


def fmt_rate(value) -> str:
    return "—" if missing(value) else f"{100 * value:.1f}%"


def fmt_p(value) -> str:
    return "—" if missing(value) else ("< 0.001" if value < 0.001 else f"{value:.3f}")


def fmt_value(value) -> str:
    """A statistic of any type, compactly: floats to 4 significant digits, lists joined."""
    if missing(value):
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt_value(v) for v in value)
    return str(value)


def flatten(mapping: Mapping, prefix: str = "") -> list[tuple[str, object]]:
    """Nested dict as (dotted.key, value) pairs, in the dict's order."""
    pairs = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            pairs.extend(flatten(value, name + "."))
        else:
            pairs.append((name, value))
    return pairs


# --- conclusions: explicit rules over the numbers ------------------------------------------------

def _systems(evaluation: Mapping) -> list[str]:
    """Systems of eval.json in the canonical order (sections holding a `bleu`)."""
    found = [k for k, v in evaluation.items() if isinstance(v, Mapping) and "bleu" in v]
    return in_system_order(found)


def _pair_names(key: str) -> tuple[str, str]:
    a, _, b = key.partition("_vs_")
    return a, b


def _diff(pair: Mapping) -> float:
    """BLEU(a) - BLEU(b); lib.evaluation.metrics.paired_bootstrap calls it `delta`."""
    return pair.get("diff", pair.get("delta", pair["bleu_a"] - pair["bleu_b"]))


def compare(key: str, pair: Mapping) -> tuple[int, str]:
    """Significance of one bootstrap pair `a_vs_b`: (+1 a better, -1 b better, 0 no significant
    difference) and the sentence saying so. The rule: significant exactly when the 95% CI of
    BLEU(a) - BLEU(b) excludes 0.

    The stored p-value is one-sided for "a is better" (paired_bootstrap: share of resamples with
    a - b <= 0), so it is quoted only where a is the one claimed better or no difference is claimed;
    "b beats a" rests on the CI alone."""
    a, b = _pair_names(key)
    ci = f"95% CI [{pair['ci_low']:+.2f}, {pair['ci_high']:+.2f}]"
    p = f"one-sided p = {fmt_p(pair.get('p_value'))}"
    if pair["ci_low"] > 0:
        return 1, (f"{a} beats {b} in BLEU ({pair['bleu_a']:.2f} vs {pair['bleu_b']:.2f}; "
                   f"{a} − {b} = {_diff(pair):+.2f}, {p}, {ci}).")
    if pair["ci_high"] < 0:
        return -1, (f"{b} beats {a} in BLEU ({pair['bleu_b']:.2f} vs {pair['bleu_a']:.2f}; "
                    f"{a} − {b} = {_diff(pair):+.2f}, {ci}, which excludes 0).")
    return 0, (f"No significant BLEU difference between {a} and {b} ({pair['bleu_a']:.2f} vs "
               f"{pair['bleu_b']:.2f}; {a} − {b} = {_diff(pair):+.2f}, {p} for {a} better, {ci} includes 0).")


def _find_pair(bootstrap: Mapping, a: str, b: str) -> tuple[str, Mapping] | None:
    """The bootstrap pair of a and b in either order, as stored."""
    for key in (f"{a}_vs_{b}", f"{b}_vs_{a}"):
        if key in bootstrap:
            return key, bootstrap[key]
    return None


def _baseline_sentence(model: str, evaluation: Mapping) -> str:
    """Rule: 'beats the baseline' only with a significant bootstrap pair; without a pair, the raw
    numbers are given and marked untested."""
    found = _find_pair(evaluation.get("bootstrap", {}), model, BASELINE)
    if found is None:
        m, r = evaluation[model]["bleu"], evaluation[BASELINE]["bleu"]
        if missing(m) or missing(r):
            return f"{model} cannot be compared with the {BASELINE} baseline: a BLEU is missing."
        side = "above" if m > r else "below" if m < r else "equal to"
        return (f"{model} scores {side} the {BASELINE} baseline in BLEU ({m:.2f} vs {r:.2f}; "
                f"no bootstrap test for this pair, so no significance is claimed).")
    key, pair = found
    sign, sentence = compare(key, pair)
    if key.startswith(BASELINE):
        sign = -sign
    verdict = {1: f"{model} beats the {BASELINE} baseline",
               -1: f"{model} does not beat the {BASELINE} baseline, which is significantly better",
               0: f"{model} does not significantly differ from the {BASELINE} baseline"}[sign]
    return f"{verdict}: {sentence}"


def _ranking(evaluation: Mapping, systems: Sequence[str], metric: str, fmt) -> str | None:
    scored = [(s, evaluation[s][metric]) for s in systems if not missing(evaluation[s].get(metric))]
    if len(scored) < 2:
        return None
    scored.sort(key=lambda item: -item[1])
    return ", ".join(f"{s} {fmt(v)}" for s, v in scored)


def conclusions(context: Mapping) -> list[str]:
    """The conclusions, each one sentence generated by a rule from the numbers in `context`:

    1. BLEU ranking (descriptive), then every bootstrap pair between models: 'a beats b' only when the
       95% CI of the difference excludes 0, otherwise 'no significant difference'.
    2. Each model against the retrieval baseline: same rule on their bootstrap pair; without one, the
       raw numbers are stated as untested.
    3. Parse rate and exact match: rankings, stated as descriptive (no test).
    4. Attention: the identifier alignment rate is called above chance only when its one-sided test
       gives p < ALPHA and the rate exceeds the chance rate; the probe ratio is reported as measured.
    5. Training: the lowest best validation loss, and seconds per epoch, as measured.
    """
    evaluation = context.get("eval", {})
    systems = _systems(evaluation)
    bootstrap = evaluation.get("bootstrap", {})
    out = []
    ranking = _ranking(evaluation, systems, "bleu", fmt_bleu)
    if ranking:
        out.append(f"BLEU from highest to lowest: {ranking}.")
    for key, pair in bootstrap.items():
        if BASELINE not in _pair_names(key):
            out.append(compare(key, pair)[1])
    if BASELINE in systems:
        out.extend(_baseline_sentence(m, evaluation) for m in systems if m != BASELINE)
    for metric, label in (("parse_rate", "Parse rate"), ("exact_match", "Exact match")):
        ranking = _ranking(evaluation, systems, metric, fmt_rate)
        if ranking:
            out.append(f"{label} from highest to lowest (descriptive, not tested): {ranking}.")
    out.extend(_attention_conclusions(context.get("interpretation", {})))
    out.extend(_training_conclusions(context.get("train", {})))
    return out


def _attention_conclusions(interpretation: Mapping) -> list[str]:
    out = []
    alignment = interpretation.get("alignment")
    if alignment and alignment.get("rate") is not None:
        numbers = (f"{fmt_rate(alignment['rate'])} of {alignment['identifiers']} generated identifiers vs "
                   f"{fmt_rate(alignment['chance_rate'])} expected under uniform attention")
        above = (alignment.get("p_value") is not None and alignment["p_value"] < ALPHA
                 and alignment["rate"] > alignment["chance_rate"])
        if above:
            out.append(f"Attention aligns generated identifiers with docstring words sharing a sub-word above "
                       f"chance: {numbers} (one-sided p = {fmt_p(alignment['p_value'])}).")
        else:
            out.append(f"The identifier alignment is not distinguishable from chance: {numbers} "
                       f"(one-sided p = {fmt_p(alignment.get('p_value'))}).")
    for probe in _probes(interpretation):
        if probe.get("ratio") is not None:
            out.append(f"The docstring word '{probe['word']}' receives {probe['ratio']:.1f}x more attention "
                       f"when generating {', '.join(probe['targets'])} ({probe['target_mean']:.3f} over "
                       f"{probe['target_rows']} tokens) than elsewhere ({probe['other_mean']:.3f} over "
                       f"{probe['other_rows']} tokens).")
        else:
            out.append(f"The probe of '{probe['word']}' gives no ratio: {probe.get('reason')}.")
    return out


def _training_conclusions(train: Mapping) -> list[str]:
    losses = {m: t["best_valid_loss"] for m, t in train.items() if t.get("best_valid_loss") is not None}
    out = []
    if len(losses) >= 2:
        best = min(losses, key=losses.get)
        out.append(f"Lowest best validation loss: {best} ({losses[best]:.3f}; others: "
                   + ", ".join(f"{m} {v:.3f}" for m, v in losses.items() if m != best) + ").")
    speeds = {m: t["seconds_per_epoch"] for m, t in train.items() if t.get("seconds_per_epoch") is not None}
    if speeds:
        out.append("Training time per epoch: " + ", ".join(f"{m} {v:.1f} s" for m, v in speeds.items()) + ".")
    return out


def _probes(interpretation: Mapping) -> list[Mapping]:
    probes = interpretation.get("probes", [])
    return [probes] if isinstance(probes, Mapping) else list(probes)


# --- sections ------------------------------------------------------------------------------------

def _kv_table(pairs) -> Block:
    return _table(["key", "value"], [[k, fmt_value(v)] for k, v in pairs])


def _data_section(context) -> list[Block]:
    data = context.get("data", {})
    if not data:
        return [_p("No data statistics were given.")]
    return [_p("Statistics of the splits, from metrics/data.json."), _kv_table(flatten(data))]


def _config_section(context) -> list[Block]:
    blocks = [_p("All three models share this configuration (params.yaml)."),
              _kv_table(flatten(context.get("config", {})))]
    train = context.get("train", {})
    if train:
        keys = list(dict.fromkeys(k for t in train.values() for k in t))
        blocks += [_p("Training, from metrics/train_<model>.json."),
                   _table(["model", *keys], [[m, *(fmt_value(t.get(k)) for k in keys)] for m, t in train.items()])]
    return blocks


def results_table(evaluation: Mapping) -> Block:
    """One row per system; BLEU as is, rates as percentages, '—' where a system lacks the metric."""
    rows = []
    for system in _systems(evaluation):
        section = evaluation[system]
        rows.append([system] + [fmt_bleu(section.get(k)) if k == "bleu" else fmt_rate(section.get(k))
                                for k, _ in RESULT_COLUMNS])
    return _table(["system", *(label for _, label in RESULT_COLUMNS)], rows)


def bootstrap_table(bootstrap: Mapping) -> Block:
    rows = []
    for key, pair in bootstrap.items():
        a, b = _pair_names(key)
        sign, _ = compare(key, pair)
        rows.append([f"{a} vs {b}", fmt_bleu(pair["bleu_a"]), fmt_bleu(pair["bleu_b"]),
                     f"{_diff(pair):+.2f}",
                     f"[{pair['ci_low']:+.2f}, {pair['ci_high']:+.2f}]", fmt_p(pair.get("p_value")),
                     {1: f"yes, {a}", -1: f"yes, {b}", 0: "no"}[sign]])
    header = ["pair (a vs b)", "BLEU a", "BLEU b", "a − b", "95% CI", "p (one-sided, a better)", "significant"]
    return _table(header, rows)


def _results_section(context) -> list[Block]:
    evaluation = context.get("eval", {})
    blocks = [_p("Test-set results. Token accuracy is teacher forced (none for retrieval); rates are "
                 "percentages of test examples."), results_table(evaluation)]
    # One signature for all systems; lib.evaluation.scoring.score also stores it in each system's section.
    signature = evaluation.get("bleu_signature") or next(
        (evaluation[s]["bleu_signature"] for s in _systems(evaluation) if evaluation[s].get("bleu_signature")), None)
    if signature:
        blocks.append(_p(f"BLEU signature (sacrebleu): {signature}"))
    if evaluation.get("bootstrap"):
        blocks += [_p("Paired bootstrap resampling (Koehn 2004) of the BLEU difference; a difference is "
                      "significant when its 95% confidence interval excludes 0."),
                   bootstrap_table(evaluation["bootstrap"])]
    return blocks


def _figure_blocks(context, name, caption) -> list[Block]:
    path = context.get("figures", {}).get(name)
    return [_figure(path, caption)] if path else [_p(f"No {name} figure was given.")]


def _code_excerpt(code: str) -> str:
    lines = str(code).splitlines() or [""]
    cut = len(lines) - MAX_CODE_LINES
    return "\n".join(lines[:MAX_CODE_LINES] + ([f"# ... {cut} more lines"] if cut > 0 else []))


def _example_blocks(example: Mapping) -> list[Block]:
    facts = [f"sentence BLEU {example['bleu']:.1f}" if example.get("bleu") is not None else None,
             f"class {example['error_class']}" if example.get("error_class") else None]
    header = f"Docstring: {example.get('summary', '')}"
    if any(facts):
        header += " (" + ", ".join(f for f in facts if f) + ")"
    code = (f"# reference\n{_code_excerpt(example.get('reference_code', ''))}\n"
            f"# generated\n{_code_excerpt(example.get('generated_code', ''))}")
    return [_p(header), _code(code)]


def _error_section(context) -> list[Block]:
    evaluation = context.get("eval", {})
    classes = list(dict.fromkeys(c for s in _systems(evaluation) for c in evaluation[s].get("errors", {})))
    blocks = [_p("Each test output falls in one class: correct (exact match), indentation_error / syntax_error "
                 "(does not parse), wrong_operator / wrong_variable (parses, differs from the reference by "
                 "operators / names), other_mismatch. Shares of test examples:")]
    rows = [[s] + [fmt_rate(evaluation[s].get("errors", {}).get(c, {}).get("rate")) for c in classes]
            for s in _systems(evaluation) if "errors" in evaluation[s]]
    blocks += [_table(["system", *classes], rows)] + _figure_blocks(context, "errors", "Error taxonomy per system")
    for model, by_class in context.get("examples", {}).get("errors", {}).items():
        for cls, examples in by_class.items():
            if examples:
                blocks.append(_p(f"{model} — {cls}:"))
                for example in examples:
                    blocks += _example_blocks(example)
    return blocks


def _attention_section(context) -> list[Block]:
    interpretation = context.get("interpretation", {})
    rule = RULE_DESCRIPTIONS.get(interpretation.get("rule"))
    chosen = f" Examples chosen by rule, not by hand: {rule}." if rule else ""
    blocks = [_p("Attention weights of the attn model (rows: generated code tokens, columns: docstring tokens; "
                 "⏎ newline, → indent, ← dedent)." + chosen)]
    for item in context.get("figures", {}).get("attention", []):
        blocks.append(_figure(item["path"], item.get("caption", "attention")))
    for item in interpretation.get("strongest", []):
        blocks += [_p(f"Strongest docstring token per generated token — {item.get('caption', '')}:"),
                   _table(["generated", "docstring", "weight"],
                          [[t, s, f"{w:.2f}"] for t, s, w in item["pairs"]])]
    alignment = interpretation.get("alignment")
    if alignment:
        blocks += [_p("Sub-word alignment: for every generated identifier (non-keyword name), does its strongest "
                      "attention fall on a docstring word sharing a sub-word with it (split on _ and camelCase, "
                      "prefixes of 3+ characters match: maximum~max)?"),
                   _table(["measure", "value"], [
                       ["generated identifiers", fmt_value(alignment.get("identifiers"))],
                       ["aligned (attention argmax)", fmt_rate(alignment.get("rate"))],
                       ["random docstring position (seeded)", fmt_rate(alignment.get("random_rate"))],
                       ["uniform attention (expected)", fmt_rate(alignment.get("chance_rate"))],
                       ["ceiling: some docstring word matches", fmt_rate(alignment.get("oracle_rate"))],
                       ["aligned among those with a match", fmt_rate(alignment.get("rate_when_matchable"))],
                       ["one-sided p-value vs uniform", fmt_p(alignment.get("p_value"))]])]
        if context.get("figures", {}).get("alignment"):
            blocks += _figure_blocks(context, "alignment", "Identifier alignment against chance")
    probes = _probes(interpretation)
    if probes:
        blocks += [_p("Probes: mean attention a docstring word receives at generated tokens it should produce, "
                      "against the other generated tokens."),
                   _table(["word", "targets", "target rows", "mean at targets", "other rows", "mean elsewhere",
                           "ratio", "note"],
                          [[p["word"], " ".join(p["targets"]), p["target_rows"], fmt_value(p["target_mean"]),
                            p["other_rows"], fmt_value(p["other_mean"]), fmt_value(p["ratio"]), p.get("reason") or ""]
                           for p in probes])]
    return blocks


def _qualitative_section(context) -> list[Block]:
    examples = context.get("examples", {})
    blocks = []
    for kind in ("best", "worst"):
        for model, items in examples.get(kind, {}).items():
            if items:
                blocks.append(_p(f"{kind.capitalize()} of {model} (by sentence BLEU):"))
                for example in items:
                    blocks += _example_blocks(example)
    return blocks or [_p("No examples were given.")]


def build_sections(context: Mapping) -> list[tuple[str, list[Block]]]:
    """The report as (heading, blocks) in SECTIONS order."""
    return [
        ("Data summary", _data_section(context)),
        ("Shared configuration", _config_section(context)),
        ("Results", _results_section(context)),
        ("Loss curves", _figure_blocks(context, "loss", "Training (solid) and validation (dashed) loss")),
        ("Performance vs docstring length",
         _figure_blocks(context, "length", "BLEU and parse rate by docstring length")),
        ("Error taxonomy", _error_section(context)),
        ("Attention", _attention_section(context)),
        ("Qualitative examples", _qualitative_section(context)),
        ("Conclusions", [_p("Generated from the numbers above by fixed rules (lib/study/report.py, `conclusions`)."),
                         _list(conclusions(context))]),
    ]


# --- Markdown ------------------------------------------------------------------------------------

_MD_SPECIAL = "\\`*_<>|[]#$"  # $ too: GitHub renders $...$ as math


def md_escape(text) -> str:
    """Plain text safe in Markdown: special characters backslash-escaped, newlines as spaces."""
    return "".join("\\" + c if c in _MD_SPECIAL else c for c in str(text).replace("\n", " "))


def to_markdown(title: str, sections, markdown_path: Path) -> str:
    """Markdown text; figure links relative to the Markdown file's folder."""
    lines = [f"# {md_escape(title)}", ""]
    for heading, blocks in sections:
        lines += [f"## {heading}", ""]
        for block in blocks:
            if block.kind == "p":
                lines.append(md_escape(block.text))
            elif block.kind == "list":
                lines += [f"- {md_escape(item)}" for item in block.items]
            elif block.kind == "table":
                lines.append("| " + " | ".join(md_escape(h) for h in block.header) + " |")
                lines.append("|" + "---|" * len(block.header))
                lines += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in block.items]
            elif block.kind == "code":
                lines += ["```python", block.text, "```"]
            elif block.kind == "figure":
                link = Path(os.path.relpath(Path(block.path).resolve(), markdown_path.parent.resolve())).as_posix()
                lines.append(f"![{md_escape(block.text)}]({link})")
            lines.append("")
    return "\n".join(lines)


# --- PDF -----------------------------------------------------------------------------------------

PAGE = (8.27, 11.69)   # A4 portrait, inches
MARGIN_X, TOP, BOTTOM = 0.07, 0.95, 0.05
STYLES = {"title": (15, "sans-serif", "bold"), "h2": (12, "sans-serif", "bold"),
          "p": (8.5, "sans-serif", "normal"), "mono": (7, "monospace", "normal")}
WRAP = {"p": 105, "mono": 118}  # characters per line at those sizes on A4 within the margins


def _pdf_lines(title: str, sections) -> list[tuple[str, str] | tuple[str, Block]]:
    """The report as (style, text) lines and ('figure', block) entries."""
    out = [("title", title), ("p", "")]
    for heading, blocks in sections:
        out += [("h2", heading), ("p", "")]
        for block in blocks:
            if block.kind == "p":
                out += [("p", line) for line in textwrap.wrap(block.text, WRAP["p"])]
            elif block.kind == "list":
                for item in block.items:
                    wrapped = textwrap.wrap(item, WRAP["p"] - 2)
                    out += [("p", ("• " if i == 0 else "  ") + line) for i, line in enumerate(wrapped)]
            elif block.kind == "table":
                out += [("mono", line) for line in _text_table(block.header, block.items)]
            elif block.kind == "code":
                out += [("mono", line[: WRAP["mono"]]) for line in block.text.splitlines()]
            elif block.kind == "figure":
                out.append(("figure", block))
            out.append(("p", ""))
    return out


def _text_table(header, rows, max_cell: int = 48) -> list[str]:
    """A table as aligned monospace lines, cells cut to max_cell characters."""
    cells = [[str(c) if len(str(c)) <= max_cell else str(c)[: max_cell - 1] + "…" for c in row]
             for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return [line[: WRAP["mono"]] for line in lines]


def _line_height(style: str) -> float:
    return STYLES[style][0] * 1.45 / 72 / PAGE[1]


class _Pager:
    """Fills A4 pages top to bottom with text lines and images, starting a new page when full."""

    def __init__(self, pdf: PdfPages):
        self.pdf, self.page, self.y = pdf, None, TOP

    def _room(self, height: float) -> None:
        if self.page is None or self.y - height < BOTTOM:
            self.flush()
            self.page, self.y = plt.figure(figsize=PAGE), TOP

    def flush(self) -> None:
        if self.page is not None:
            self.pdf.savefig(self.page)
            plt.close(self.page)
            self.page = None

    def text(self, style: str, content: str) -> None:
        # A heading keeps a few lines of its section on its page.
        self._room(_line_height(style) + (5 * _line_height("p") if style == "h2" else 0))
        self.y -= _line_height(style)
        size, family, weight = STYLES[style]
        # parse_math=False: a "$" in a docstring or code must not start mathtext.
        self.page.text(MARGIN_X, self.y, content, fontsize=size, family=family, weight=weight, parse_math=False)

    def image(self, block: Block) -> None:
        """The figure at page width (shrunk to fit a page if tall), its caption below it."""
        path = Path(block.path)
        if not path.exists():
            self.text("p", f"(figure missing: {path})")
            return
        pixels = plt.imread(path)
        aspect = pixels.shape[0] / pixels.shape[1]
        width = 1 - 2 * MARGIN_X
        height = width * PAGE[0] * aspect / PAGE[1]
        if height > TOP - BOTTOM - 0.04:  # taller than a page: scale down, keep the aspect
            height = TOP - BOTTOM - 0.04
            width = height * PAGE[1] / aspect / PAGE[0]
        self._room(height + _line_height("p"))
        ax = self.page.add_axes((MARGIN_X, self.y - height, width, height))
        ax.imshow(pixels)
        ax.set_axis_off()
        self.y -= height
        self.text("p", f"Figure: {block.text}")


def to_pdf(title: str, sections, pdf_path: Path) -> None:
    """Pages of matplotlib text with the figures set in at page width."""
    with PdfPages(pdf_path) as pdf:
        pager = _Pager(pdf)
        for style, content in _pdf_lines(title, sections):
            if style == "figure":
                pager.image(content)
            else:
                pager.text(style, content)
        pager.flush()


# --- entry point ---------------------------------------------------------------------------------

def example_records(predictions, columns=("summary", "reference_code", "generated_code", "bleu",
                                          "error_class")) -> list[dict]:
    """Rows of a predictions DataFrame as the example dicts the context expects."""
    present = [c for c in columns if c in predictions.columns]
    return [{c: (float(v) if c == "bleu" else str(v)) for c, v in zip(present, row)}
            for row in predictions[present].itertuples(index=False)]


def write_report(context: Mapping, markdown_path, pdf_path) -> tuple[Path, Path]:
    """Write the report as Markdown and PDF; returns both paths.

    `context` (every key optional; a missing part is said to be missing in the report):
      title           str, the report's title
      data            dict, metrics/data.json
      config          dict, the shared configuration (e.g. params.yaml's model/train sections)
      train           {model: dict}, metrics/train_<model>.json (best_valid_loss, epochs, params,
                      seconds_per_epoch, tokens_per_second, ...)
      eval            dict, metrics/eval.json: {system: {bleu (0-100), exact_match, exact_match_short,
                      parse_rate, token_accuracy, positional_accuracy (fractions), errors: {class:
                      {count, rate}}}, bootstrap: {"a_vs_b": {bleu_a, bleu_b, diff (or delta), ci_low,
                      ci_high, p_value (one-sided, a better)}}, bleu_signature: str (or per system)};
                      None / NaN metrics show as "—"
      figures         {"loss": path, "length": path, "errors": path, "alignment": path (optional),
                       "attention": [{"path": path, "caption": str}, ...]}; paths absolute or relative
                      to the working directory, linked relative to the Markdown file's folder
      examples        {"errors": {model: {class: [example, ...]}},
                       "best": {model: [example, ...]}, "worst": {model: [example, ...]}}
                      where example = {summary, reference_code, generated_code, bleu (sentence BLEU,
                      optional), error_class (optional)}; see example_records
      interpretation  {"alignment": dict of interpretation.subword_alignment_rate,
                       "probes": [dict of interpretation.probe_attention / probe_corpus, ...],
                       "strongest": [{"caption": str, "pairs": [(tgt, src, weight), ...]}, ...],
                       "rule": str, the choose_examples rule that picked the heatmap examples (optional)}
    """
    markdown_path, pdf_path = Path(markdown_path), Path(pdf_path)
    title = context.get("title", "docstring → Python: RNN, LSTM and attention")
    sections = build_sections(context)
    markdown_path.parent.mkdir(parents=True, exist_ok=True)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    markdown_path.write_text(to_markdown(title, sections, markdown_path), encoding="utf-8")
    to_pdf(title, sections, pdf_path)
    return markdown_path, pdf_path
