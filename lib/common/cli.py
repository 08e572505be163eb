"""What every stage script shares: paths on the command line, and a known failure as one clear line and exit
status 1."""
from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable


class StageError(Exception):
    """A failure the user can act on (bad param, unreachable source, empty data); the message says how."""


class DataError(StageError):
    """Input that leaves a stage nothing to work with; the message says which param to relax."""


# The argument groups of a stage's path options; tests/test_dvc_stages.py matches them to dvc.yaml's deps and outs.
INPUTS, OUTPUTS = "inputs", "outputs"


def stage_parser(description: str) -> tuple[argparse.ArgumentParser, argparse._ArgumentGroup,
                                              argparse._ArgumentGroup]:
    """A stage's parser, whose --help starts with `description` (the stage's docstring), and its groups for the
    paths it reads (dvc.yaml deps) and writes (outs). dvc.yaml's `cmd` passes every path: the options have no
    defaults, so a stage run by hand without them prints its usage."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    return (parser, parser.add_argument_group(INPUTS, "what the stage reads (its deps in dvc.yaml)"),
            parser.add_argument_group(OUTPUTS, "what the stage writes (its outs in dvc.yaml)"))


def exit_on_signal(signum: int, frame) -> None:
    """A signal as SystemExit (status 128 + signal, as a shell reports it), so `finally` blocks still remove the
    staging folders; Python's default for SIGTERM ends the process without running them."""
    raise SystemExit(128 + signum)


def run_stage(main: Callable[[], None]) -> None:
    """Runs `main`; a StageError prints `error: ...` to stderr and exits with status 1. SIGTERM (`kill`, a stopped
    DVC queue task) exits through the same cleanups as an error."""
    signal.signal(signal.SIGTERM, exit_on_signal)
    try:
        main()
    except StageError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
