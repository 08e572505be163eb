"""What every stage script shares: a known failure is one clear line and exit status 1."""
from __future__ import annotations

import sys
from collections.abc import Callable


class StageError(Exception):
    """A failure the user can act on (bad param, unreachable source, empty data); the message says how."""


class DataError(StageError):
    """Input that leaves a stage nothing to work with; the message says which param to relax."""


def run_stage(main: Callable[[], None]) -> None:
    """Runs `main`; a StageError prints `error: ...` to stderr and exits with status 1."""
    try:
        main()
    except StageError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
