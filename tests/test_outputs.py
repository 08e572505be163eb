"""Atomic outputs: a stage stopped at any point leaves no staging folder that git would see."""
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lib.common.outputs import atomic_dir, write_text_atomic

REPO = Path(__file__).resolve().parents[1]
# A stage that stages a report with a figure, says so, then works until it is stopped.
STAGE = """
import sys, time
from pathlib import Path
from lib.common.cli import run_stage
from lib.common.outputs import atomic_dir

def main():
    with atomic_dir(Path(sys.argv[1])) as staging:
        (staging / "figures").mkdir()
        (staging / "figures" / "attention_0.png").write_bytes(b"png")
        print("staged", flush=True)
        time.sleep(60)

run_stage(main)
"""


def stop_while_staging(report: Path, signum: int) -> int:
    """Run STAGE on `report`, send `signum` once its figure is staged; its exit status."""
    stage = subprocess.Popen([sys.executable, "-c", STAGE, str(report)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert stage.stdout.readline() == "staged\n"
    stage.send_signal(signum)
    return stage.wait(timeout=30)


def untracked(root: Path) -> list[str]:
    """What `git status` lists in a repository holding only the project's .gitignore."""
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    shutil.copy(REPO / ".gitignore", root / ".gitignore")
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=root, check=True,
                            capture_output=True, text=True).stdout
    return [line[3:] for line in status.splitlines() if line[3:] != ".gitignore"]


def test_sigterm_during_a_stage_removes_its_staging_folder(tmp_path):
    assert stop_while_staging(tmp_path / "plots" / "report", signal.SIGTERM) == 128 + signal.SIGTERM
    assert list((tmp_path / "plots").iterdir()) == []


def test_what_sigkill_leaves_is_ignored_by_git(tmp_path):
    stop_while_staging(tmp_path / "plots" / "report", signal.SIGKILL)  # no cleanup can run
    assert list((tmp_path / "plots").iterdir())  # the staging folder is still there...
    assert untracked(tmp_path) == []  # ...but git does not list it


def test_a_failed_block_keeps_the_old_output_and_removes_the_staging_folder(tmp_path):
    report = tmp_path / "report"
    report.mkdir()
    (report / "report.md").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(report) as staging:
        (staging / "report.md").write_text("new")
        raise RuntimeError("figure failed")
    assert [path.name for path in tmp_path.iterdir()] == ["report"]
    assert (report / "report.md").read_text() == "old"


def test_a_failed_file_write_leaves_no_staging_file(tmp_path, monkeypatch):
    def replace_fails(source, target):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", replace_fails)
    with pytest.raises(OSError):
        write_text_atomic(tmp_path / "data.json", "{}")
    assert list(tmp_path.iterdir()) == []
