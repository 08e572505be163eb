"""`python -m lib.generate`: a working run on a tiny checkpoint, and every bad-input path."""
import json
from pathlib import Path

import pytest
import torch
import yaml

from lib.common.config import from_mapping, load_config
from lib.generate import decode_config, main, parse_args, summary_steps
from lib.models.checkpoint import checkpoint_payload, save_checkpoint
from lib.models.seq2seq import build_model
from lib.tokens.code_tokens import NEWLINE
from lib.tokens.vocabulary import SPECIALS, Vocabulary

ROOT = Path(__file__).resolve().parents[1]


def write_params(folder: Path, **tokenize) -> None:
    """The repository's params.yaml in `folder`, with `tokenize` changes."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["tokenize"].update(tokenize)
    (folder / "params.yaml").write_text(yaml.safe_dump(params))

ARCH = {"emb_dim": 8, "hidden_dim": 8, "dropout": 0.0, "adaptive_cutoffs": [], "attention_dim": 8, "num_layers": 1}
SRC = Vocabulary([*SPECIALS, "returns", "the", "maximum", "value"])
TGT = Vocabulary([*SPECIALS, "def", "f", "(", ")", ":", NEWLINE, "<INDENT>", "return", "max", "x"])


@pytest.fixture
def models_dir(tmp_path):
    torch.manual_seed(0)
    for kind in ("rnn", "attn"):
        model = build_model(kind, len(SRC), len(TGT), ARCH)
        save_checkpoint(tmp_path / f"{kind}.pt", checkpoint_payload(model, ARCH, SRC, TGT, epoch=1, metrics={}))
    return tmp_path


def test_prints_code_and_reports_unknown_words(models_dir, capsys):
    status = main(["--model", "attn", "--models-dir", str(models_dir), "--beam", "2",
                   "Returns the maximum value of integers"])
    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith("# Returns the maximum value of integers\n")
    assert "# words the model never saw (read as <unk>): of, integers" in out


def test_reads_docstrings_from_a_file_and_saves_attention(models_dir, tmp_path, capsys):
    listing = tmp_path / "docstrings.txt"
    listing.write_text("returns the value\n\nthe maximum value\n")
    assert main(["--model", "rnn", "--models-dir", str(models_dir), "--file", str(listing)]) == 0
    assert capsys.readouterr().out.count("# ") == 2
    heatmap = tmp_path / "heatmap.png"
    assert main(["--model", "attn", "--models-dir", str(models_dir), "--attention", str(heatmap), "the value"]) == 0
    assert heatmap.stat().st_size > 0


@pytest.mark.parametrize("argv, message", [
    (["   "], "give a non-empty docstring"),
    ([], "give a non-empty docstring"),
    (["--beam", "0", "the value"], "--beam must be between 1 and 64, got 0"),
    (["--beam", "100000", "the value"], "--beam must be between 1 and 64, got 100000"),
    (["--min-len", "-1", "the value"], "--min-len must be between 0 and decode.max_len (100), got -1"),
    (["--min-len", "101", "the value"], "--min-len must be between 0 and decode.max_len (100), got 101"),
    (["--model", "rnn", "--attention", "x.png", "the value"], "--attention needs --model attn or copy"),
    (["--model", "lstm", "the value"], "--models-dir should point at the folder holding lstm.pt"),
    (["--file", "/nonexistent/docstrings.txt"], "cannot read /nonexistent/docstrings.txt"),
    (["..."], "no words left"),
])
def test_bad_input_is_one_clear_line(models_dir, capsys, argv, message):
    assert main(["--models-dir", str(models_dir), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_a_corrupt_checkpoint_says_to_rebuild(models_dir, capsys):
    (models_dir / "attn.pt").write_bytes(b"not a checkpoint")
    assert main(["--models-dir", str(models_dir), "the value"]) == 2
    assert "corrupt" in capsys.readouterr().err


def test_an_unknown_model_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--model", "gpt", "the value"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'gpt'" in capsys.readouterr().err


def test_a_models_dir_that_does_not_exist_is_named_without_dvc_advice(tmp_path, capsys):
    assert main(["--models-dir", str(tmp_path / "nowhere"), "the value"]) == 2
    err = capsys.readouterr().err
    assert f"--models-dir {tmp_path / 'nowhere'} does not exist" in err and "attn.pt" in err
    assert "dvc repro" not in err


def test_the_default_models_folder_still_says_to_run_dvc_repro(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # a checkout before its first `dvc repro`: no models/
    assert main(["the value"]) == 2
    assert "run `dvc repro`" in capsys.readouterr().err


def test_a_summary_longer_than_training_is_clipped_with_one_warning(models_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_params(tmp_path, max_src_len=5)
    words = " ".join(f"w{i}" for i in range(2000))  # about 10,000 characters, one sentence
    heatmap = tmp_path / "heatmap.png"
    assert main(["--models-dir", str(models_dir), "--attention", str(heatmap), f"the value {words}"]) == 0
    out, err = capsys.readouterr()
    assert err == ("warning: the models were trained on summaries of at most 5 tokens; this docstring has 2002, "
                   "so only the first 5 are used\n")
    assert "# words the model never saw (read as <unk>): w0, w1, w2\n" in out  # w3 onwards never reached the model
    assert heatmap.stat().st_size > 0


def test_several_long_docstrings_share_one_warning_and_short_ones_are_kept_whole(models_dir, tmp_path, monkeypatch,
                                                                                capsys):
    monkeypatch.chdir(tmp_path)
    write_params(tmp_path, max_src_len=5)
    listing = tmp_path / "docstrings.txt"
    listing.write_text("the value w0 w1 w2\nthe maximum value w0 w1 w2 w3\nthe value w0 w1 w2 w3 w4\n")
    assert main(["--models-dir", str(models_dir), "--file", str(listing)]) == 0
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "2 docstrings have more, so only the first 5 are used" in err
    unknown = [line.split(": ")[1] for line in out.splitlines() if line.startswith("# words the model never saw")]
    assert unknown == ["w0, w1, w2", "w0, w1", "w0, w1, w2"]


def test_a_benchmark_file_gives_one_code_string_per_row_in_order(models_dir, tmp_path, capsys):
    rows = [{"rewritten_intent": "returns the maximum value", "intent": "max?"},
            {"rewritten_intent": None, "intent": "the value"},          # falls back to the next column
            {"rewritten_intent": "...", "intent": "the value"},         # no words: an empty answer, still a row
            {"rewritten_intent": "the maximum", "intent": None}]
    test_file, answer = tmp_path / "test.json", tmp_path / "answer.json"
    test_file.write_text(json.dumps(rows))
    assert main(["--model", "rnn", "--models-dir", str(models_dir), "--file", str(test_file), "--column",
                 "rewritten_intent", "--column", "intent", "--output", str(answer)]) == 0
    codes = json.loads(answer.read_text())
    assert len(codes) == 4 and all(isinstance(code, str) for code in codes) and codes[2] == ""
    assert capsys.readouterr().out == f'# wrote 4 code strings to {answer} (1 docstrings without words got "")\n'
    # Each row alone gives the same code: the answer is in the rows' order.
    for text, code in zip(["returns the maximum value", "the value", "the maximum"], [codes[0], codes[1], codes[3]]):
        assert main(["--model", "rnn", "--models-dir", str(models_dir), text]) == 0
        assert capsys.readouterr().out.split("\n", 1)[1] == code + "\n"


def test_json_lines_rows_are_read_from_the_docstring_column(models_dir, tmp_path, capsys):
    lines = tmp_path / "valid.jsonl"
    lines.write_text('{"docstring": "the value", "code": "x"}\n\n{"docstring": "the maximum value"}\n')
    assert main(["--model", "rnn", "--models-dir", str(models_dir), "--file", str(lines)]) == 0
    assert [line for line in capsys.readouterr().out.splitlines() if line.startswith("# ")] == \
        ["# the value", "# the maximum value"]


@pytest.mark.parametrize("name, content, message", [
    ("rows.json", '[{"intent": "the value"}]', "no row of {path} has the field docstring; name it with --column"),
    ("rows.json", '{"docstring": "the value"}', "{path} must hold a JSON array of rows"),
    ("rows.json", "[{", "{path}, line 1: not valid JSON (Expecting property name enclosed in double quotes, column 3)"),
    ("rows.json", "[]", "{path} has no rows"),
    ("rows.jsonl", "", "{path} has no rows"),
    ("rows.jsonl", '{"docstring": "the value"}\n' * 699 + '{"docstring": "the value"\n' + '{"docstring": "x"}\n' * 800,
     "{path}, line 700: not valid JSON (Expecting ',' delimiter, column 26)"),
], ids=["no column", "not an array", "not JSON", "empty array", "0 bytes", "bad line 700 of 1500"])
def test_a_bad_benchmark_file_is_one_line_naming_it(models_dir, tmp_path, capsys, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    assert main(["--models-dir", str(models_dir), "--file", str(path), "--output", str(tmp_path / "answer.json")]) == 2
    assert capsys.readouterr().err == f"error: {message.format(path=path)}\n"
    assert not (tmp_path / "answer.json").exists()


def test_summaries_follow_the_tokenize_filters_of_params():
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["tokenize"].update(first_sentence=False, strip_markup=False)
    assert summary_steps(from_mapping(params)) == {"first_sentence": False, "strip_markup": False}
    assert summary_steps(None) == {}  # outside a repository: summarize's defaults


def test_min_len_overrides_the_params(models_dir, capsys):
    params = load_config(ROOT / "params.yaml")
    assert params.decode.min_len > 7
    assert decode_config(parse_args(["--min-len", "0", "x"]), params).min_len == 0
    assert decode_config(parse_args(["--min-len", "7", "x"]), params).min_len == 7
    assert main(["--models-dir", str(models_dir), "--min-len", "0", "the value"]) == 0


def test_a_bad_decode_section_stops_with_the_param_error(models_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["decode"]["beam_size"] = 0
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    assert main(["--models-dir", str(models_dir), "the value"]) == 2
    assert capsys.readouterr() == ("", "error: params.yaml: decode.beam_size must be at least 1, got 0\n")


def test_the_options_override_a_valid_decode_section(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    config = decode_config(parse_args(["--beam", "2", "x"]), load_config())
    assert (config.beam_size, config.min_len) == (2, 30)  # the rest from params.yaml


def test_output_goes_into_new_folders(models_dir, tmp_path, capsys):
    answer = tmp_path / "nodir" / "sub" / "answer.json"
    assert main(["--models-dir", str(models_dir), "--output", str(answer), "the value", "the maximum"]) == 0
    assert len(json.loads(answer.read_text())) == 2


@pytest.mark.parametrize("option", ["--output", "--attention"])
def test_an_output_that_is_a_folder_is_refused_before_decoding(models_dir, tmp_path, capsys, option):
    assert main(["--models-dir", str(models_dir), option, str(tmp_path), "the value"]) == 2
    assert capsys.readouterr() == ("", f"error: {option} {tmp_path} is a folder: name the file to write\n")


def test_a_checkpoint_of_another_kind_is_refused_before_decoding(models_dir, capsys):
    (models_dir / "attn.pt").write_bytes((models_dir / "rnn.pt").read_bytes())
    heatmap = models_dir / "heatmap.png"
    assert main(["--models-dir", str(models_dir), "--attention", str(heatmap), "the value"]) == 2
    assert capsys.readouterr() == ("", f"error: {models_dir / 'attn.pt'} holds the rnn model, not attn: rebuild it "
                                       "with `dvc repro` or point --models-dir at the folder holding the attn "
                                       "checkpoint\n")
    assert not heatmap.exists()


def test_rerank_outside_the_repository_or_before_its_stage_says_what_to_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["--model", "rerank", "the value"]) == 2
    assert "--model rerank reads the repository's params.yaml" in capsys.readouterr().err
    write_params(tmp_path)
    assert main(["--model", "rerank", "the value"]) == 2
    assert capsys.readouterr().err == "error: data/split/train.parquet not found: run `dvc repro rerank` first\n"
