"""The visualize stage's params (a bad probe stops the stage with one line naming the entry) and its inputs."""
import shlex
from pathlib import Path

import pytest
import yaml

from lib.common.config import ParamError, from_mapping
from stages.visualize import command_line, read_config, study_files

ROOT = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


def with_visualize(**changes) -> dict:
    return {**PARAMS, "visualize": {**PARAMS["visualize"], **changes}}


def test_the_probes_of_params_yaml_are_read():
    config, decode, shared = read_config(from_mapping(PARAMS))
    assert list(config.probes) == PARAMS["visualize"]["probes"]
    assert list(config.probe_targets) == PARAMS["visualize"]["probe_targets"]
    assert decode.beam_size == PARAMS["decode"]["beam_size"] and shared["train"] == PARAMS["train"]


@pytest.mark.parametrize("key, values, message", [
    ("probes", ["open a file", 5], "params.yaml: visualize.probes[1] must be str, got 5"),
    ("probes", [None], "params.yaml: visualize.probes[0] must be str, got None"),
    ("probes", ["  "], "params.yaml: visualize.probes[0] must be a non-empty string, got '  '"),
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
