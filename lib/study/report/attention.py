"""The attention section: heatmaps of chosen test examples with what each one shows, the identifier alignment,
and the probe of one docstring word, told in sentences.

The probe is reported once: when the model never writes the probe's target tokens, the report says so and
shows what it wrote instead of heatmaps that cannot show the probe's effect.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from lib.study.interpretation import EOS, RULE_DESCRIPTIONS, is_identifier
from lib.study.report.document import Block, code, figure, paragraph
from lib.study.report.numbers import fmt_count, fmt_rate, is_number
from lib.study.report.tables import alignment_table
from lib.tokens.code_tokens import detokenize

PROBE_PREFIX = "probe: "  # captions and scopes of the probe docstrings (lib/study/context.py)
COPY_PROBE_PREFIX = "copy probe: "  # the same docstrings decoded by the copy model
MAX_IDENTIFIERS = 6       # identifiers named per heatmap sentence
MAX_CODE_LINES = 8        # lines of a probe's generated code shown


def _quote(token: str) -> str:
    """A docstring token in quotes; the source EOS column is the end-of-docstring marker."""
    return "the end-of-docstring marker" if token == EOS else f"“{token}”"


def _or(items) -> str:
    """'max, > or >='."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _docstring(caption: str) -> str:
    """The docstring part of a heatmap caption ('test, short docstring: Returns x.' -> 'Returns x.')."""
    return caption.split(": ", 1)[1] if ": " in caption else caption


def focus_sentence(item: Mapping) -> str | None:
    """Where one example's attention went: the docstring token most often attended most, and the identifiers'."""
    pairs = [(str(t), str(s)) for t, s, *_ in item.get("pairs", [])]
    if not pairs:
        return None
    word, count = Counter(s for _, s in pairs).most_common(1)[0]
    text = (f"For “{_docstring(item.get('caption', ''))}”, {count} of {len(pairs)} generated tokens attend most "
            f"to {_quote(word)}")
    identifiers = list(dict.fromkeys((t, s) for t, s in pairs if is_identifier(t)))[:MAX_IDENTIFIERS]
    if identifiers:
        text += "; identifiers and the word each attends to most: " + ", ".join(
            f"{t} → {_quote(s)}" for t, s in identifiers)
    return text + "."


def _generated(item: Mapping) -> list[str]:
    """The generated tokens of a strongest-source listing, EOS dropped."""
    return [str(t) for t, *_ in item.get("pairs", []) if str(t) != EOS]


def _probe_lists(interpretation: Mapping) -> tuple[list[Mapping], list[Mapping]]:
    """(probes over the test split, probes of single docstrings)."""
    probes = interpretation.get("probes") or []
    probes = [probes] if isinstance(probes, Mapping) else list(probes)
    single = [p for p in probes if str(p.get("scope", "")).startswith(PROBE_PREFIX)]
    return [p for p in probes if p not in single], single


def _word_present(probe: Mapping) -> bool:
    """The probe's docstring(s) contain the word (otherwise it says nothing about it)."""
    reason = str(probe.get("reason") or "")
    return not (reason.endswith("is not in the docstring") or reason.startswith("no docstring contains"))


def _target_words(probe: Mapping) -> str:
    return _or(probe.get("targets") or ["its targets"])


def probe_finding(interpretation: Mapping) -> str | None:
    """The probe's finding in one sentence, for the conclusions; None without probes."""
    corpus, single = _probe_lists(interpretation)
    probes = corpus + single
    if not probes:
        return None
    model, word = interpretation.get("model", "attn"), probes[0].get("word", "the probe word")
    measured = [p for p in probes if is_number(p.get("ratio"))]
    if measured:
        p = measured[0]
        return (f"“{word}” receives {p['ratio']:.1f}x more attention where {model} writes {_target_words(p)} than "
                f"at its other tokens ({p.get('scope', 'probe')}).")
    if any(_word_present(p) for p in probes):
        return (f"The “{word}” probe measures nothing: {model} never writes {_target_words(probes[0])} where a "
                f"docstring contains “{word}”.")
    return f"No docstring given to the probe contains “{word}”, so it measures nothing."


def _ratio_sentence(probe: Mapping, where: str) -> str:
    """A measured probe: the ratio and the two means it divides."""
    return (f"{where}, “{probe['word']}” receives {probe['ratio']:.1f}x more attention at "
            f"{_target_words(probe)} ({probe['target_mean']:.3f} over {fmt_count(probe['target_rows'])} tokens) "
            f"than elsewhere ({probe['other_mean']:.3f} over {fmt_count(probe['other_rows'])} tokens).")


def _docs(probe: Mapping) -> str:
    """'the 3 test docstrings' containing the word, for a probe over the test split."""
    examples = probe.get("examples")
    return f"the {fmt_count(examples)} test docstrings" if is_number(examples) else "the test docstrings"


def _corpus_sentence(probe: Mapping) -> str:
    """Where the word's attention went over the test split (its ratio, when measured)."""
    word = probe.get("word")
    if not _word_present(probe):
        return f"No test docstring contains “{word}”."
    if is_number(probe.get("ratio")):
        return _ratio_sentence(probe, f"Over {_docs(probe)} containing it")
    if is_number(probe.get("other_mean")):
        return (f"Over {_docs(probe)} that contain “{word}”, the word drew {fmt_rate(probe['other_mean'])} of the "
                f"attention on average at each of their {fmt_count(probe.get('other_rows'))} generated tokens.")
    return f"On the test split the probe gives no ratio: {probe.get('reason')}."


def _single_sentence(probe: Mapping, item: Mapping | None, model: str) -> str:
    """What one probe docstring shows: its ratio, or the tokens at which the word drew the most attention."""
    summary, word = probe["scope"][len(PROBE_PREFIX):], probe.get("word")
    if is_number(probe.get("ratio")):
        return _ratio_sentence(probe, f"For “{summary}”")
    pairs = [(str(t), str(s)) for t, s, *_ in (item or {}).get("pairs", [])]
    peaks = list(dict.fromkeys(t for t, s in pairs if s.lower() == str(word).lower()))
    if peaks:
        return f"In “{summary}”, “{word}” is the most attended docstring word only at the generated tokens " + \
            ", ".join(f"“{t}”" for t in peaks) + "."
    if pairs:
        return f"In “{summary}”, “{word}” is never the most attended docstring word."
    return f"For “{summary}”, {model} wrote none of {_target_words(probe)}."


def _absence(corpus: list[Mapping], single: list[Mapping], model: str) -> str:
    """The one sentence saying that the model never wrote the probe's targets where the word occurs."""
    word, targets = (corpus + single)[0].get("word"), _target_words((corpus + single)[0])
    where = [f"in {_docs(p)} containing “{word}”" for p in corpus if _word_present(p)]
    where += [f"for “{p['scope'][len(PROBE_PREFIX):]}”" for p in single if _word_present(p)]
    if len(where) > 1:
        said = f"{model} never wrote {targets}, neither " + " nor ".join(where)
    else:
        said = f"{model} never wrote {targets} " + where[0]
    return said + ", so the probe has nothing to compare and no probe heatmap is shown."


def _listing(items: list[Mapping]) -> str:
    """What the model wrote for each probe docstring, as one listing with the docstring as a comment."""
    parts = []
    for item in items:
        lines = detokenize(_generated(item)).splitlines() or [""]
        cut = len(lines) - MAX_CODE_LINES
        lines = lines[:MAX_CODE_LINES] + ([f"# ... {cut} more lines"] if cut > 0 else [])
        parts.append(f"# {_docstring(item['caption'])}\n" + "\n".join(lines))
    return "\n\n".join(parts)


def probe_blocks(context: Mapping) -> list[Block]:
    """The probe, told once: its question, whether the model wrote its targets, what it wrote, where the word's
    attention went."""
    interpretation = context.get("interpretation", {})
    corpus, single = _probe_lists(interpretation)
    probes = corpus + single
    if not probes:
        return []
    model, word = interpretation.get("model", "attn"), probes[0].get("word")
    blocks = [paragraph(f"The probe asks whether the docstring word “{word}” draws more of {model}'s attention "
                        f"where the code should express it ({_target_words(probes[0])}) than at the other generated "
                        f"tokens.")]
    if any(_word_present(p) for p in probes) and not any(is_number(p.get("ratio")) for p in probes):
        blocks.append(paragraph(_absence(corpus, single, model)))
    blocks += [paragraph(_corpus_sentence(p)) for p in corpus]
    strongest = {item.get("caption"): item for item in interpretation.get("strongest", [])}
    listed = [strongest[p["scope"]] for p in single if p["scope"] in strongest]
    if listed:
        blocks += [paragraph(f"What {model} wrote for the probe docstrings (visualize.probes in params.yaml):"),
                   code(_listing(listed))]
    figures = {f.get("caption"): f for f in context.get("figures", {}).get("attention", [])}
    for probe in single:
        if _word_present(probe):
            blocks.append(paragraph(_single_sentence(probe, strongest.get(probe["scope"]), model)))
            if is_number(probe.get("ratio")) and probe["scope"] in figures:
                blocks.append(figure(figures[probe["scope"]]["path"], f"Attention of {model}, {probe['scope']}"))
    return blocks


def figure_title(caption: str, model: str) -> str:
    """`Attention of <model>, <caption>`; a copy-model probe names the copy model and its gate strip."""
    if caption.startswith(COPY_PROBE_PREFIX):
        return (f"Attention of copy, with its copy gate p_gen per generated token on the right (1: written from "
                f"the vocabulary, 0: copied), probe: {caption[len(COPY_PROBE_PREFIX):]}")
    return f"Attention of {model}, {caption}"


def example_blocks(context: Mapping) -> list[Block]:
    """Heatmaps of the test examples chosen by rule, each followed by where its attention went."""
    interpretation = context.get("interpretation", {})
    model = interpretation.get("model", "attn")
    strongest = {item.get("caption"): item for item in interpretation.get("strongest", [])}
    blocks = []
    for item in context.get("figures", {}).get("attention", []):
        caption = str(item.get("caption", "attention"))
        if caption.startswith(PROBE_PREFIX):
            continue  # probe heatmaps belong to the probe, shown only when it measured something
        blocks.append(figure(item.get("path"), figure_title(caption, model)))
        sentence = focus_sentence(strongest.get(caption, {}))
        if sentence:
            blocks.append(paragraph(sentence))
    return blocks


def attention_section(context: Mapping) -> list[Block]:
    """The whole attention section."""
    interpretation = context.get("interpretation", {})
    model = interpretation.get("model", "attn")
    rule = RULE_DESCRIPTIONS.get(interpretation.get("rule"))
    blocks = [paragraph(f"The heatmaps show the attention weights of {model}: rows are generated code tokens, columns "
                        f"docstring tokens (⏎ newline, → indent, ← dedent)."
                        + (f" The examples are chosen by rule, not by hand: {rule}." if rule else ""))]
    blocks += example_blocks(context)
    alignment = interpretation.get("alignment")
    if alignment:
        blocks += [paragraph("Sub-word alignment: for every generated identifier (a name that is not a keyword), "
                             "does its strongest attention fall on a docstring word sharing a sub-word with it? "
                             "Names split on _ and camelCase, and prefixes of 3 or more characters match "
                             "(maximum ~ max)."), alignment_table(alignment)]
        path = context.get("figures", {}).get("alignment")
        if path:
            blocks.append(figure(path, "Identifier alignment against its chance levels"))
    blocks += probe_blocks(context)
    if len(blocks) == 1 and not rule:
        blocks = [paragraph("No attention results were given.")]
    return blocks
