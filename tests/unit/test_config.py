"""Service configuration read from the environment."""

from __future__ import annotations

import pytest

from disputes_shared.contract.agencies import Agency
from disputes_shared.plumbing.config import service_config
from disputes_shared.plumbing.messaging import DEFAULT_RETRY_DELAYS


def test_passing_failures_are_retried_for_about_five_minutes_unless_configured(monkeypatch):
    monkeypatch.delenv("DISPUTES_EVENT_RETRY_DELAYS", raising=False)
    assert "EVENT_RETRY_DELAYS" not in service_config(Agency.MEDIATION)
    assert 240 <= sum(DEFAULT_RETRY_DELAYS) <= 360
    monkeypatch.setenv("DISPUTES_EVENT_RETRY_DELAYS", "1, 5,30")
    assert service_config(Agency.MEDIATION)["EVENT_RETRY_DELAYS"] == [1.0, 5.0, 30.0]


@pytest.mark.parametrize("value", ["1;5", "soon", "1,-2"])
def test_a_retry_schedule_that_is_not_seconds_is_refused_with_the_variable_named(monkeypatch, value):
    monkeypatch.setenv("DISPUTES_EVENT_RETRY_DELAYS", value)
    with pytest.raises(ValueError, match="DISPUTES_EVENT_RETRY_DELAYS"):
        service_config(Agency.MEDIATION)
