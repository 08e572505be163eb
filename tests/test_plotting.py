"""Every plot function writes a non-empty PNG from tiny synthetic inputs."""
import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from lib.study.plotting import (
    attention_heatmap,
    display_token,
    error_shares,
    length_systems,
    plot_alignment_rates,
    plot_error_taxonomy,
    plot_learning_curve,
    plot_length_buckets,
    plot_loss_curves,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path, returned):
    assert returned == path
    assert path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 1000
    image = imread(path)
    assert image.shape[0] > 50 and image.shape[1] > 50
    assert image[..., :3].std() > 0  # something was drawn


def curves():
    epochs = np.arange(1, 4)
    return {m: pd.DataFrame({"epoch": epochs, "train_loss": 5 / (epochs + k), "valid_loss": 5.5 / (epochs + k)})
            for k, m in enumerate(("rnn", "lstm", "attn"))}


def test_loss_curves_from_frames_and_csv(tmp_path):
    frames = curves()
    path = tmp_path / "loss.png"
    assert_png(path, plot_loss_curves(frames, path))
    csv = tmp_path / "train_attn.csv"
    frames["attn"].to_csv(csv, index=False)
    path2 = tmp_path / "sub" / "loss_csv.png"  # folders are created
    assert_png(path2, plot_loss_curves({"attn": csv}, path2))


def length_table():
    table = pd.DataFrame({"max_src_len": [10, 5, 20], "bucket": ["6-10", "1-5", "11-20"]})
    for k, system in enumerate(("retrieval", "attn", "lstm", "rnn")):
        table[f"{system}_bleu"] = [20.0 - k, 25.0 - k, 10.0 - k]
        table[f"{system}_parse_rate"] = [0.9, 0.95, 0.8]
        table[f"{system}_accuracy"] = [0.5, 0.6, 0.4]
    return table


def test_length_buckets(tmp_path):
    assert length_systems(length_table()) == ["rnn", "lstm", "attn", "retrieval"]
    path = tmp_path / "length.png"
    assert_png(path, plot_length_buckets(length_table(), path))


def learning_curve():
    """plots/learning_curve.csv's layout (lib/study/experiments.py), rows out of order."""
    table = pd.DataFrame({"train_pairs": [4000, 1000, 14787, 2000]})
    for k, system in enumerate(("rnn", "lstm", "attn", "copy", "retrieval")):
        table[f"{system}_bleu"] = [10.0 + k, 5.0 + k, 14.0 + k, 7.0 + k]
        table[f"{system}_ci_low"], table[f"{system}_ci_high"] = table[f"{system}_bleu"] - 1, table[f"{system}_bleu"] + 1
    return table


def test_learning_curve_from_frame_and_csv(tmp_path):
    path = tmp_path / "curve.png"
    assert_png(path, plot_learning_curve(learning_curve(), path))
    csv = tmp_path / "learning_curve.csv"
    learning_curve().to_csv(csv, index=False)
    assert plot_learning_curve(csv, tmp_path / "from_csv.png").read_bytes() == path.read_bytes()
    narrow = learning_curve().assign(attn_ci_low=lambda t: t["attn_bleu"], attn_ci_high=lambda t: t["attn_bleu"])
    assert plot_learning_curve(narrow, tmp_path / "narrow.png").read_bytes() != path.read_bytes()  # bands drawn


def evaluation():
    def errors(correct, syntax, other):
        total = correct + syntax + other
        return {"correct": {"count": correct, "rate": correct / total},
                "syntax_error": {"count": syntax, "rate": syntax / total},
                "other_mismatch": {"count": other, "rate": other / total}}
    rnn_errors = errors(1, 6, 3)
    rnn_errors["syntax_error_total"] = {"count": 6, "rate": 0.6}  # a union, as lib.evaluation.errors.summarize adds
    return {"rnn": {"bleu": 10.0, "errors": rnn_errors}, "attn": {"bleu": 20.0, "errors": errors(3, 2, 5)},
            "bootstrap": {}, "bleu_signature": "nrefs:1"}


def test_error_shares_sum_to_one_in_class_order():
    shares = error_shares(evaluation())
    assert list(shares.index) == ["rnn", "attn"]
    assert list(shares.columns) == ["correct", "syntax_error", "other_mismatch"]
    assert shares.sum(axis=1).tolist() == pytest.approx([1.0, 1.0])
    assert shares.loc["rnn", "syntax_error"] == pytest.approx(0.6)


def test_error_taxonomy(tmp_path):
    path = tmp_path / "errors.png"
    assert_png(path, plot_error_taxonomy(evaluation(), path))


def test_display_token_layout_glyphs_and_cut():
    assert [display_token(t) for t in ("<NEWLINE>", "<INDENT>", "<DEDENT>", "x")] == ["⏎", "→", "←", "x"]
    assert display_token("a_very_long_identifier_name", max_chars=8) == "a_very_…"
    assert display_token("$") == r"\$"


def test_heatmap_with_dollar_signs_and_latex_like_docstring(tmp_path):
    src = ["compute", "$", "x^2", "$", "\\frac"]
    path = tmp_path / "dollar.png"
    assert_png(path, attention_heatmap(np.full((2, 5), 0.2), src, ["x", "$"], path, title="compute $x^2 \\frac$"))


@pytest.mark.parametrize("n_src, n_tgt", [(3, 4), (40, 70)])
def test_attention_heatmap_short_and_long(tmp_path, n_src, n_tgt):
    rng = np.random.default_rng(0)
    weights = rng.dirichlet(np.ones(n_src), size=n_tgt)
    src = [f"w{i}" for i in range(n_src)]
    tgt = (["def", "f", "(", ")", ":", "<NEWLINE>", "<INDENT>", "return", "<DEDENT>"] * 10)[:n_tgt]
    path = tmp_path / f"attn_{n_src}.png"
    assert_png(path, attention_heatmap(weights.tolist(), src, tgt, path, title="return the maximum"))


def test_attention_heatmap_rejects_wrong_shape(tmp_path):
    with pytest.raises(ValueError):
        attention_heatmap(np.ones((2, 4)), ["a", "b"], ["x", "y"], tmp_path / "bad.png")


def test_attention_heatmap_labels_an_eos_column(tmp_path):
    path = tmp_path / "eos.png"  # src + EOS as the model reads it
    assert_png(path, attention_heatmap(np.full((2, 3), 1 / 3), ["a", "b"], ["x", "y"], path))


def test_alignment_rates(tmp_path):
    alignment = {"rate": 0.4, "random_rate": 0.1, "chance_rate": 0.12, "oracle_rate": 0.6, "identifiers": 50}
    path = tmp_path / "alignment.png"
    assert_png(path, plot_alignment_rates(alignment, path))


def test_heatmap_with_a_copy_gate_strip(tmp_path):
    from lib.study.plotting import attention_heatmap
    weights = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]]
    path = attention_heatmap(weights, ["max", "value"], ["max", "x"], tmp_path / "gate.png", title="probe",
                             copy_gate=[0.1, 0.9])
    plain = attention_heatmap(weights, ["max", "value"], ["max", "x"], tmp_path / "plain.png", title="probe")
    assert path.stat().st_size > 0 and path.read_bytes() != plain.read_bytes()
