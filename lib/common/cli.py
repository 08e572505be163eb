"""What every stage script shares: a known failure is one clear line and exit status 1."""
from __future__ import annotations

import signal
import sys
from collections.abc import Callable


class StageError(Exception):
    """A failure the user can act on (bad param, unreachable source, empty data); the message says how."""


class DataError(StageError):
    """Input that leaves a stage nothing to work with; the message says which param to relax."""


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
