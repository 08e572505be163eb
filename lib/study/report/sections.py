"""The report's sections, as blocks, built from the context."""
from __future__ import annotations

from collections.abc import Mapping

from lib.study.interpretation import RULE_DESCRIPTIONS
from lib.study.report.conclusions import _diff, _pair_names, _probes, _systems, compare, conclusions
from lib.study.report.document import Block, _code, _figure, _list, _p, _table, flatten, fmt_bleu, fmt_p, fmt_rate
from lib.study.report.document import fmt_value

SECTIONS = ("Data summary", "Shared configuration", "Results", "Loss curves", "Performance vs docstring length",
            "Error taxonomy", "Attention", "Qualitative examples", "Conclusions")
RESULT_COLUMNS = (("bleu", "BLEU"), ("exact_match", "exact match"), ("exact_match_short", "exact match (short)"),
                  ("parse_rate", "parse rate"), ("token_accuracy", "token accuracy (teacher forced)"),
                  ("positional_accuracy", "positional accuracy"))
MAX_CODE_LINES = 15   # longer examples are cut in the report


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


