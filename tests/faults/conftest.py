"""The fault ledger holds the figures of the last pytest session that ran fault tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.ledger import LEDGER


@pytest.fixture(scope="session", autouse=True)
def fresh_ledger() -> Iterator[None]:
    Path(os.environ.get("EXNEWS_FAULT_LEDGER", LEDGER)).unlink(missing_ok=True)
    yield
