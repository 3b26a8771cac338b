"""Service configuration read from the environment."""

from __future__ import annotations

import pytest

from disputes_shared.contract.agencies import Agency
from disputes_shared.plumbing.config import (
    DEFAULT_HTTP_PORTS,
    DEFAULT_OPS_PORTS,
    PORTAL_DEFAULT_HTTP_PORT,
    service_config,
)
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


def test_a_process_connects_to_the_broker_as_its_own_user(monkeypatch, tmp_path):
    from disputes_shared.plumbing.config import amqp_uri

    monkeypatch.setenv("DISPUTES_AMQP_URI", "amqp://guest:guest@broker:5672/disputes")
    monkeypatch.delenv("DISPUTES_AMQP_USERNAME", raising=False)
    assert amqp_uri() == "amqp://guest:guest@broker:5672/disputes"
    password_file = tmp_path / "legal_aid"
    password_file.write_text("s3cr/t:@\n")
    monkeypatch.setenv("DISPUTES_AMQP_USERNAME", "city.legal_aid")
    monkeypatch.setenv("DISPUTES_AMQP_PASSWORD_FILE", str(password_file))
    assert amqp_uri() == "amqp://city.legal_aid:s3cr%2Ft%3A%40@broker:5672/disputes"
    monkeypatch.setenv("DISPUTES_AMQP_PASSWORD", "from-the-secret")
    assert amqp_uri() == "amqp://city.legal_aid:from-the-secret@broker:5672/disputes"


def test_a_user_without_a_password_is_refused_naming_the_variables(monkeypatch):
    from disputes_shared.plumbing.config import amqp_uri

    monkeypatch.setenv("DISPUTES_AMQP_USERNAME", "intake")
    monkeypatch.delenv("DISPUTES_AMQP_PASSWORD", raising=False)
    monkeypatch.delenv("DISPUTES_AMQP_PASSWORD_FILE", raising=False)
    with pytest.raises(ValueError, match="DISPUTES_AMQP_PASSWORD_FILE"):
        amqp_uri()


def test_every_service_has_an_operations_port_apart_from_every_http_port(monkeypatch):
    monkeypatch.delenv("DISPUTES_MEDIATION_OPS_PORT", raising=False)
    http = set(DEFAULT_HTTP_PORTS.values()) | {PORTAL_DEFAULT_HTTP_PORT}
    assert len(set(DEFAULT_OPS_PORTS.values())) == len(DEFAULT_OPS_PORTS) == len(DEFAULT_HTTP_PORTS)
    assert not http & set(DEFAULT_OPS_PORTS.values())
    config = service_config(Agency.MEDIATION)
    assert config["OPS_SERVER_ADDRESS"] != config["WEB_SERVER_ADDRESS"]
    assert config["OPS_SERVER_ADDRESS"].endswith(f":{DEFAULT_OPS_PORTS[Agency.MEDIATION]}")
