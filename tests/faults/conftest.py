"""The fault suite prints one table of counts at the end of the run."""

from __future__ import annotations

from typing import Any

import pytest

from .scenario import table

RESULTS: list[dict[str, Any]] = []


@pytest.fixture
def results() -> list[dict[str, Any]]:
    return RESULTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if RESULTS:
        terminalreporter.section("fault tests: counts per scenario")
        terminalreporter.write_line(table(RESULTS))
