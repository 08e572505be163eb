"""The report's sections, in reading order, built as blocks from the context (see lib.study.report)."""
from __future__ import annotations

from collections.abc import Mapping

from lib.evaluation.scoring import BASELINE, in_system_order
from lib.study.report import results, tables
from lib.study.report.attention import attention_section
from lib.study.report.conclusions import abstract, conclusions
from lib.study.report.document import Block, bullets, code, figure, paragraph
from lib.study.report.numbers import fmt_count, fmt_rate, humanize, is_number
from lib.study.report.study import curve_in_use, seeds_in_use, study_findings

SECTIONS = ("Abstract", "Data", "Models and training", "Results", "Error analysis", "Attention", "Examples",
            "Conclusions")
MODEL_DESCRIPTIONS = {
    "rnn": "a tanh-RNN encoder whose final state starts a tanh-RNN decoder",
    "lstm": "the same with LSTMs",
    "attn": "a bidirectional LSTM encoder and an LSTM decoder with Bahdanau attention",
    "copy": "attn with a pointer-generator output that can copy docstring tokens",
}
ERROR_DESCRIPTIONS = {
    "correct": "the output equals the reference token for token",
    "indentation_error": "it does not parse because of its layout (indents and dedents)",
    "syntax_error": "it does not parse, for any other reason",
    "wrong_operator": "it parses, but its operators differ from the reference's",
    "wrong_variable": "it parses with the same operators, but reads an undefined name or one foreign to the reference",
    "other_mismatch": "it parses with the same operators and names, yet differs from the reference",
    "unrelated": "it parses, but shares (almost) nothing with the reference",
}
MAX_CODE_LINES = 12  # longer listings are cut


# --- examples ------------------------------------------------------------------------------------

def _excerpt(text) -> str:
    """At most MAX_CODE_LINES lines of code, with a note of what was cut."""
    lines = str(text).splitlines() or [""]
    cut = len(lines) - MAX_CODE_LINES
    return "\n".join(lines[:MAX_CODE_LINES] + ([f"# ... {cut} more lines"] if cut > 0 else []))


def example_blocks(example: Mapping, system: str, label: str) -> list[Block]:
    """One example: a sentence naming it, then the reference and the system's output in one listing."""
    bleu = example.get("bleu")
    score = f", sentence BLEU {bleu:.1f}" if is_number(bleu) else ""
    text = f"{label} ({system}{score}): “{example.get('summary', '')}”"
    listing = (f"# reference\n{_excerpt(example.get('reference_code', ''))}\n"
               f"# {system} wrote\n{_excerpt(example.get('generated_code', ''))}")
    return [paragraph(text), code(listing)]


def _first_unseen(examples, system: str, seen: set) -> Mapping | None:
    """The first example of a list not shown yet (an output can be both a system's best and a class example)."""
    for example in examples or []:
        key = (system, example.get("summary"), example.get("generated_code"))
        if key not in seen:
            seen.add(key)
            return example
    return None


def _by_bleu(evaluation: Mapping, names) -> list[str]:
    """Systems by decreasing BLEU (those without one last), so examples come from the strongest first."""
    bleu = results.scored(evaluation, "bleu")
    return sorted(in_system_order(names), key=lambda s: -bleu.get(s, float("-inf")))


# --- sections ------------------------------------------------------------------------------------

def data_section(context: Mapping) -> list[Block]:
    """Where the pairs come from, what the filters removed, the splits and the vocabularies."""
    data = context.get("data", {})
    if not data:
        return [paragraph("No data statistics were given.")]
    tokenize = data.get("tokenize", {})
    blocks = []
    read, kept = tokenize.get("rows_read"), tokenize.get("pairs_kept")
    if is_number(read) and is_number(kept) and read:
        text = (f"Of {fmt_count(read)} documented functions read, {fmt_count(kept)} ({fmt_rate(kept / read)}) "
                f"became (docstring summary, code tokens) pairs")
        trip = tokenize.get("round_trip_rate")
        text += (f"; the code tokens of {fmt_rate(trip)} of them turn back into the same program." if is_number(trip)
                 else ".")
        blocks.append(paragraph(text))
    blocks += [b for b in (tables.sources_table(data), tables.filter_table(data)) if b]
    split = tables.split_table(data)
    if split:
        blocks += [paragraph("The splits never share a file; valid and test drop every function whose code already "
                             "occurs in an earlier split, then each split is sampled to its size."), split]
    official = _official_test(data.get("official_test"))
    vocabulary = tables.vocabulary_table(data)
    return blocks + ([paragraph(official)] if official else []) + ([vocabulary] if vocabulary else [])


def _official_test(official) -> str | None:
    """What happened to a test split the source gave (scored as given: not de-duplicated or sampled)."""
    if not isinstance(official, Mapping) or not is_number(official.get("rows")):
        return None
    text = f"The source gives its own test split, scored as given: {fmt_count(official['rows'])} rows"
    if is_number(official.get("untokenizable")):
        text += f", after {fmt_count(official['untokenizable'])} that could not be tokenized"
    if is_number(official.get("code_in_train")):
        share = official.get("code_in_train_share")
        text += (f"; {fmt_count(official['code_in_train'])}" + (f" ({fmt_rate(share)})" if is_number(share) else "")
                 + " have their code in the training split too (counted, not removed)")
    return text + "."


def training_section(context: Mapping) -> list[Block]:
    """The models, the shared settings, how training went, the loss curves."""
    train = context.get("train", {})
    names = in_system_order(list(train) or results.models(context.get("eval", {})))
    blocks = []
    if names:
        described = [f"{m}, {MODEL_DESCRIPTIONS[m]}" if m in MODEL_DESCRIPTIONS else m for m in names]
        blocks.append(paragraph("The models: " + "; ".join(described) + ". They share every setting below and stop "
                                "early on the validation loss."))
    blocks += [b for b in (tables.config_table(context.get("config", {})), tables.training_table(train)) if b]
    path = context.get("figures", {}).get("loss")
    if path:
        blocks.append(figure(path, "Training (solid) and validation (dashed) loss per epoch"))
    return blocks or [paragraph("No training results were given.")]


def _signature(evaluation: Mapping) -> str | None:
    """The sacrebleu signature, stored top-level or in each system's section."""
    return evaluation.get("bleu_signature") or next(
        (evaluation[s]["bleu_signature"] for s in results.systems(evaluation) if evaluation[s].get("bleu_signature")),
        None)


def study_blocks(context: Mapping) -> list[Block]:
    """Beside the main table, when in use: the learning curve, and BLEU over training seeds with the orders
    that hold in every seed."""
    path = context.get("figures", {}).get("learning_curve")
    blocks = [figure(path, "Test BLEU against training pairs, with 95% bootstrap intervals; the test rows are the "
                           "same at every size")] if path and curve_in_use(context) is not None else []
    seeds = seeds_in_use(context)
    if seeds:
        blocks += [tables.seed_table(seeds), tables.ordering_table(study_findings(context))]
    return blocks


def results_section(context: Mapping) -> list[Block]:
    """The main table, the learning curve and the seeds, the significance tests, the syntax constraint, further
    measures, subsets, length."""
    evaluation = context.get("eval", {})
    main = tables.results_table(evaluation)
    if main is None:
        return [paragraph("No evaluation results were given.")]
    signature = _signature(evaluation)
    test_rows = context.get("data", {}).get("rows", {}).get("test")
    intro = ("BLEU is sacrebleu's corpus BLEU on code tokens" + (f" (signature {signature})" if signature else "")
             + "; rates are shares of the " + (f"{fmt_count(test_rows)} " if is_number(test_rows) else "")
             + "test functions.")
    if BASELINE in results.systems(evaluation):
        intro += f" Token accuracy is teacher forced, so the {BASELINE} baseline has none."
    blocks = [paragraph(intro), main, *study_blocks(context)]
    blocks += [b for b in (tables.bootstrap_table(evaluation), tables.constraint_table(evaluation),
                           tables.further_table(evaluation)) if b]
    blocks += tables.token_error_tables(evaluation) + tables.nested_tables(evaluation)
    for name in results.SUBSETS:
        sub = results.subset(evaluation, name)
        blocks += [b for b in (tables.subset_table(evaluation, name), tables.bootstrap_table(sub, f" on the {name} "
                                                                                             f"subset")) if b]
    path = context.get("figures", {}).get("length")
    if path:
        blocks.append(figure(path, "BLEU and parse rate by docstring length"))
    return blocks


def error_section(context: Mapping, seen: set) -> list[Block]:
    """The error classes, their shares per system, and one example of each class."""
    evaluation = context.get("eval", {})
    classes = [c for c in tables.error_classes(evaluation) if c != tables.TOTAL_CLASS]
    error_table = tables.error_table(evaluation)
    if error_table is None:
        return [paragraph("No error taxonomy was given.")]
    blocks = [paragraph("Each test output falls in the first class that applies (lib/evaluation/errors.py):"),
              bullets(f"{humanize(c)}: {ERROR_DESCRIPTIONS.get(c, 'see lib/evaluation/errors.py')}." for c in classes),
              error_table]
    path = context.get("figures", {}).get("errors")
    if path:
        blocks.append(figure(path, "Error classes per system"))
    by_system = context.get("examples", {}).get("errors", {})
    for cls in classes:
        for system in _by_bleu(evaluation, by_system):
            example = _first_unseen(by_system[system].get(cls), system, seen)
            if example:
                blocks += example_blocks(example, system, humanize(cls).capitalize())
                break
    return blocks


def examples_section(context: Mapping, seen: set) -> list[Block]:
    """The best and the worst output of each system by sentence BLEU."""
    examples = context.get("examples", {})
    blocks = []
    for kind in ("best", "worst"):
        for system in in_system_order(examples.get(kind, {})):
            example = _first_unseen(examples[kind][system], system, seen)
            if example:
                blocks += example_blocks(example, system, f"{kind.capitalize()} output")
    if not blocks:
        return [paragraph("No examples were given.")]
    return [paragraph("For each system, its test output with the highest and with the lowest sentence BLEU.")] + blocks


def build_sections(context: Mapping) -> list[tuple[str, list[Block]]]:
    """The report as (heading, blocks) in SECTIONS order."""
    seen: set = set()  # examples already shown
    found = conclusions(context)
    return [
        ("Abstract", [paragraph(abstract(context))]),
        ("Data", data_section(context)),
        ("Models and training", training_section(context)),
        ("Results", results_section(context)),
        ("Error analysis", error_section(context, seen)),
        ("Attention", attention_section(context)),
        ("Examples", examples_section(context, seen)),
        ("Conclusions", [paragraph("Each statement follows from the numbers above by a fixed rule "
                                   "(lib/study/report/conclusions.py); a BLEU difference is claimed only where its "
                                   "bootstrap interval excludes 0"
                                   + (" and its order holds in every training seed." if seeds_in_use(context)
                                      else ", from one training run per model.")), bullets(found)] if found
         else [paragraph("No conclusions can be drawn without results.")]),
    ]
