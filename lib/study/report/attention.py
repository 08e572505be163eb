"""The attention section as data for the template: the heatmaps of chosen test examples with where their
attention went, and the probe of one docstring word (lib/study/context.py's "interpretation").

The probe is told once: when the model never writes the probe's target tokens, the report says so and shows what
it wrote instead of heatmaps that cannot show the probe's effect.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from lib.study.interpretation import EOS, RULE_DESCRIPTIONS
from lib.tokens.code_tokens import detokenize
from lib.tokens.kinds import is_name

MODEL = "attn"  # the model the interpretation studies
PROBE_PREFIX = "probe: "  # captions and scopes of the probe docstrings (lib/study/context.py)
COPY_PROBE_PREFIX = "copy probe: "  # the same docstrings decoded by the copy model
MAX_IDENTIFIERS = 6  # identifiers named per heatmap
MAX_PROBE_LINES = 8  # lines of a probe's generated code shown (the template's excerpt filter cuts it)


def docstring(caption: str) -> str:
    """The docstring part of a caption ('test, short docstring: Returns x.' -> 'Returns x.')."""
    return caption.split(": ", 1)[1] if ": " in caption else caption


def _pairs(item: Mapping) -> list[tuple[str, str]]:
    """(generated token, the docstring token it attends to most) of one decoded example."""
    return [(str(t), str(s)) for t, s, *_ in item["pairs"]]


def focus(pairs: list[tuple[str, str]]) -> dict | None:
    """Where one example's attention went: {tokens: generated tokens, word: the docstring token most often
    attended most, count: at how many, identifiers: [(identifier, the word it attends to most)]}."""
    if not pairs:
        return None
    word, count = Counter(s for _, s in pairs).most_common(1)[0]
    identifiers = list(dict.fromkeys((t, s) for t, s in pairs if is_name(t)))[:MAX_IDENTIFIERS]
    return {"tokens": len(pairs), "word": word, "count": count, "identifiers": identifiers}


def heatmaps(figures: list[Mapping], decoded: Mapping[str, list]) -> list[dict]:
    """The heatmaps of the test examples (and of the copy model's probes): {path, caption, of_copy: a copy-model
    probe, focus: see focus}; the attn probes' heatmaps belong to the probe."""
    return [{"path": item["path"], "caption": item["caption"], "of_copy": item["caption"].startswith(COPY_PROBE_PREFIX),
             "focus": focus(decoded[item["caption"]])}
            for item in figures if not item["caption"].startswith(PROBE_PREFIX)]


def _word_present(probe: Mapping) -> bool:
    """The probe's docstring(s) contain the word (otherwise it says nothing about it)."""
    reason = str(probe["reason"] or "")
    return not (reason.endswith("is not in the docstring") or reason.startswith("no docstring contains"))


def probe(probes: list[Mapping], figures: list[Mapping], decoded: Mapping[str, list]) -> dict:
    """The probe: {word, targets, measured: some probe gives a ratio, present: some probe's docstrings contain the
    word, corpus: [probe over the test split], single: [probe of one docstring, with summary, code (what the model
    wrote), peaks (the generated tokens at which the word is the most attended docstring word) and figure (its
    heatmap's path)]}; each probe is lib.study.interpretation's result with `present`."""
    paths = {item["caption"]: item["path"] for item in figures}
    probes = [p | {"present": _word_present(p)} for p in probes]
    single = []
    for p in probes:
        if p["scope"].startswith(PROBE_PREFIX):
            pairs = decoded[p["scope"]]
            single.append(p | {"summary": docstring(p["scope"]), "decoded": bool(pairs),
                               "code": detokenize([t for t, _ in pairs if t != EOS]),
                               "peaks": list(dict.fromkeys(t for t, s in pairs if s.lower() == str(p["word"]).lower())),
                               "figure": paths[p["scope"]]})
    return {"word": probes[0]["word"], "targets": probes[0]["targets"], "single": single,
            "corpus": [p for p in probes if not p["scope"].startswith(PROBE_PREFIX)],
            "measured": any(p["ratio"] is not None for p in probes), "present": any(p["present"] for p in probes)}


def reading(context: Mapping) -> dict:
    """The attention read on reference code (forced decoding): {figures: [{path, caption}], answers: the probe's
    measured ratios (the probes' references first), each with its `model`}."""
    answers = [p | {"model": model} for model, read in context["interpretation"]["reading"].items()
               for p in [*read["single"], read["corpus"]] if p["ratio"] is not None]
    return {"figures": context["figures"]["reading"], "answers": answers}


def attention_view(context: Mapping) -> dict:
    """Everything the attention section shows: model, rule (the examples' choice in words), heatmaps, probe, and
    the reading of reference code."""
    interpretation, figures = context["interpretation"], context["figures"]
    decoded = {item["caption"]: _pairs(item) for item in interpretation["strongest"]}
    return {"model": MODEL, "rule": RULE_DESCRIPTIONS[interpretation["rule"]],
            "heatmaps": heatmaps(figures["attention"], decoded),
            "probe": probe(interpretation["probes"], figures["attention"], decoded), "reading": reading(context)}
