"""Shared fixtures: the real third-party rows in ../shared/data, when this checkout has them."""
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real rows not found at {SHARED_DATA} (only developers' checkouts have ../shared)")
    return SHARED_DATA
