"""The visualize stage's params (a bad probe stops the stage with one line naming the entry) and its inputs."""
import shlex
from dataclasses import asdict
from pathlib import Path

import pytest
import yaml

from lib.common.config import ParamError, ProbeConfig, from_mapping
from lib.study.probes import reference_tokens
from stages.visualize import command_line, read_config, study_files

ROOT = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


def with_visualize(**changes) -> dict:
    return {**PARAMS, "visualize": {**PARAMS["visualize"], **changes}}


def test_the_probes_of_params_yaml_are_read():
    config, decode, shared = read_config(from_mapping(PARAMS))
    assert [asdict(probe) for probe in config.probes] == PARAMS["visualize"]["probes"]
    assert reference_tokens(config.probes)[0][-4:] == ["max", "(", "nums", ")"]
    assert list(config.probe_targets) == PARAMS["visualize"]["probe_targets"]
    assert decode.beam_size == PARAMS["decode"]["beam_size"] and shared["train"] == PARAMS["train"]


PROBE = {"docstring": "open a file", "reference": "def f(path):\n    return open(path)\n"}


@pytest.mark.parametrize("key, values, message", [
    ("probes", [PROBE, 5], "params.yaml: visualize.probes[1] must be a mapping of keys, got 5"),
    ("probes", [{"docstring": "open a file"}], "params.yaml: missing key visualize.probes[0].reference"),
    ("probes", [PROBE | {"docstring": None}], "params.yaml: visualize.probes[0].docstring must be str, got None"),
    ("probes", [PROBE | {"reference": "  "}],
     "params.yaml: visualize.probes[0].reference must be a non-empty string, got '  '"),
    ("probe_targets", ["max", [">"]], "params.yaml: visualize.probe_targets[1] must be str, got ['>']"),
])
def test_a_probe_that_is_not_text_names_its_entry(key, values, message):
    with pytest.raises(ParamError) as error:
        read_config(from_mapping(with_visualize(**{key: values})))
    assert str(error.value) == message


def test_the_files_the_report_reads_are_the_command_s_inputs():
    command = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]["visualize"]["cmd"]
    files = study_files(command_line().parse_args(shlex.split(command)[3:]))
    assert files.results == Path("data/eval") and files.train_timings == Path("metrics/timings")
    assert files.seeds == Path("metrics/study/seeds.json") and files.split_stats == Path("data/split/stats.json")


def test_a_probe_reference_that_is_not_python_names_its_probe():
    probes = [ProbeConfig(**PROBE), ProbeConfig("add", "def add(a, b) return a + b")]
    with pytest.raises(ParamError, match=r"^params.yaml: visualize.probes\[1\].reference is not Python: does not parse"):
        reference_tokens(probes)
