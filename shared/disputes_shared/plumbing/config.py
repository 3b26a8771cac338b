"""Service configuration from the environment, with defaults that run everything locally."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..contract.agencies import Agency
from ..contract.routing import SERVICE_NAMES  # noqa: F401  (nameko service name of each agency's)
from ..identity.development import DEFAULT_AUDIENCE, DEVELOPMENT_ISSUER, JWKS_FILE
from ..kit.broker import amqp_uri  # noqa: F401  (the services' configuration includes it)
from .engine import DatabaseTimeouts
from .personal_data import key_settings

DEFAULT_HTTP_PORTS = {
    Agency.INTAKE: 8101,
    Agency.MEDIATION: 8102,
    Agency.LEGAL_AID: 8103,
    Agency.ARBITRATION: 8104,
    Agency.COURTS: 8105,
    Agency.TRAIL: 8106,
    Agency.ANALYTICS: 8107,
}
PORTAL_DEFAULT_HTTP_PORT = 8110
# The operations port of each service (/metrics, /health/*): its HTTP port plus 1000.
DEFAULT_OPS_PORTS = {agency: port + 1000 for agency, port in DEFAULT_HTTP_PORTS.items()}


def data_dir() -> Path:
    return Path(os.environ.get("DISPUTES_DATA_DIR", "var/data"))


def database_url(agency: Agency) -> str:
    """``DISPUTES_<SERVICE>_DATABASE_URL``, else a SQLite file of the service's own."""
    name = SERVICE_NAMES[agency]
    configured = os.environ.get(f"DISPUTES_{name.upper()}_DATABASE_URL")
    if configured:
        return configured
    return f"sqlite:///{data_dir() / (name + '.db')}"


def identity_dir() -> Path:
    """The development issuer's key pair and JWKS (owner-only; never used in production)."""
    return Path(os.environ.get("DISPUTES_IDENTITY_DIR", "var/identity"))


def identity_config(environ: Mapping[str, str]) -> dict[str, Any]:
    """Who issues staff tokens (``DISPUTES_OIDC_*``); by default the development issuer.
    ``identity.settings.IdentitySettings`` checks it, refusing the default in production."""
    jwks_url = environ.get("DISPUTES_OIDC_JWKS_URL", "")
    return {
        "DEPLOYMENT": environ.get("DISPUTES_DEPLOYMENT", "development"),
        "OIDC_ISSUER": environ.get("DISPUTES_OIDC_ISSUER", DEVELOPMENT_ISSUER),
        "OIDC_AUDIENCE": environ.get("DISPUTES_OIDC_AUDIENCE", DEFAULT_AUDIENCE),
        "OIDC_JWKS_URL": jwks_url,
        "OIDC_JWKS_FILE": environ.get("DISPUTES_OIDC_JWKS_FILE",
                                      "" if jwks_url else str(identity_dir() / JWKS_FILE)),
        "OIDC_LEEWAY_SECONDS": environ.get("DISPUTES_OIDC_LEEWAY_SECONDS", "30"),
    }


def trail_signing_key_file() -> Path:
    """The trail's Ed25519 key; its public half, for auditors, is beside it as ``.pub``."""
    return Path(os.environ.get("DISPUTES_TRAIL_SIGNING_KEY_FILE",
                               data_dir() / "trail-signing-key.pem"))


def worker_ref_key_file() -> Path:
    """Intake's key of the workers' refs (``case.filed``'s ``worker_ref``): whoever has it can
    tell a known ID number's ref, so it is a secret of intake's alone."""
    return Path(os.environ.get("DISPUTES_WORKER_REF_KEY_FILE", data_dir() / "worker-ref-key"))


def http_port(agency: Agency) -> int:
    name = SERVICE_NAMES[agency]
    return int(os.environ.get(f"DISPUTES_{name.upper()}_HTTP_PORT", DEFAULT_HTTP_PORTS[agency]))


def ops_port(agency: Agency) -> int:
    """``DISPUTES_<SERVICE>_OPS_PORT``: where the service serves /metrics and /health/*."""
    name = SERVICE_NAMES[agency]
    return int(os.environ.get(f"DISPUTES_{name.upper()}_OPS_PORT", DEFAULT_OPS_PORTS[agency]))


def portal_http_port() -> int:
    """The worker portal's port: it has no agency, so it is not in DEFAULT_HTTP_PORTS."""
    return int(os.environ.get("DISPUTES_PORTAL_HTTP_PORT", PORTAL_DEFAULT_HTTP_PORT))


def service_config(agency: Agency, **overrides: Any) -> dict[str, Any]:
    """The nameko config of one agency's service."""
    # Loopback unless told otherwise; a container sets DISPUTES_HTTP_HOST=0.0.0.0.
    host = os.environ.get("DISPUTES_HTTP_HOST", "127.0.0.1")
    config: dict[str, Any] = {
        "AMQP_URI": amqp_uri(),
        "WEB_SERVER_ADDRESS": f"{host}:{http_port(agency)}",
        "OPS_SERVER_ADDRESS": f"{host}:{ops_port(agency)}",
        "DATABASE_URL": database_url(agency),
        "max_workers": int(os.environ.get("DISPUTES_MAX_WORKERS", "10")),
        "serializer": "json",
        # Local monthly minimum wage (yuan): a regional figure, configured, not a constant.
        "MONTHLY_MINIMUM_WAGE": os.environ.get("DISPUTES_MONTHLY_MINIMUM_WAGE", "2100"),
        "TRAIL_SIGNING_KEY_FILE": str(trail_signing_key_file()),
        "WORKER_REF_KEY_FILE": str(worker_ref_key_file()),
        # Thresholds and subsidies of the region (JSON); empty: the packaged Chengdu figures.
        "REGIONAL_FIGURES_FILE": os.environ.get("DISPUTES_REGIONAL_FIGURES_FILE", ""),
        # The courts bridge's adapter to the court's own system: simulated, or none (clerks).
        "COURT_SYSTEM": os.environ.get("DISPUTES_COURT_SYSTEM", "simulated"),
        # Evidence a worker sends to intake: bytes per file, files per case (empty: the defaults).
        "EVIDENCE_MAX_BYTES": os.environ.get("DISPUTES_EVIDENCE_MAX_BYTES") or "8388608",
        "EVIDENCE_FILES_PER_CASE": os.environ.get("DISPUTES_EVIDENCE_FILES_PER_CASE") or "20",
        # Per client address and minute, every intake replica's counted together (0: no limit).
        "FILING_RATE_PER_MINUTE": os.environ.get("DISPUTES_FILING_RATE_PER_MINUTE") or "20",
        "READING_RATE_PER_MINUTE": os.environ.get("DISPUTES_READING_RATE_PER_MINUTE") or "120",
        # The proxies whose X-Forwarded-For names the client (addresses and networks, by commas):
        # the ingress controller's and the worker portal's; empty: the peer is the client.
        "TRUSTED_PROXIES": os.environ.get("DISPUTES_TRUSTED_PROXIES", ""),
        # The city's retention schedule and legal holds (JSON, see retention.py); empty: defaults.
        "RETENTION_FILE": os.environ.get("DISPUTES_RETENTION_FILE", ""),
        # START,FACTOR,ORIGIN: time compressed for a demonstration (``disputes city-year``).
        "COMPRESSED_CLOCK": os.environ.get("DISPUTES_COMPRESSED_CLOCK", ""),
    }
    config.update(identity_config(os.environ))
    config.update(key_settings(SERVICE_NAMES[agency], os.environ))
    config["DATABASE_TIMEOUTS"] = database_timeouts(os.environ)
    # Events applied in one transaction at most, and such batches at once (empty: the defaults).
    for key in ("EVENT_BATCH_LIMIT", "EVENT_BATCHES_AT_ONCE"):
        if value := os.environ.get(f"DISPUTES_{key}"):
            config[key] = int(value)
    if retry_delays := os.environ.get("DISPUTES_EVENT_RETRY_DELAYS"):
        config["EVENT_RETRY_DELAYS"] = event_retry_delays(retry_delays)
    config.update(overrides)
    return config


def event_retry_delays(text: str) -> list[float]:
    """``DISPUTES_EVENT_RETRY_DELAYS``: seconds between attempts, comma-separated ("1,5,30")."""
    try:
        delays = [float(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"DISPUTES_EVENT_RETRY_DELAYS: seconds separated by commas, not {text!r}") from None
    if any(d < 0 for d in delays):
        raise ValueError(f"DISPUTES_EVENT_RETRY_DELAYS: no negative delay, not {text!r}")
    return delays


TIMEOUT_VARIABLES = {  # DatabaseTimeouts field: the variable that sets it, in seconds
    "statement": "DISPUTES_DB_STATEMENT_TIMEOUT",
    "lock": "DISPUTES_DB_LOCK_TIMEOUT",
    "idle_in_transaction": "DISPUTES_DB_IDLE_IN_TRANSACTION_TIMEOUT",
}


def database_timeouts(environ: Mapping[str, str]) -> DatabaseTimeouts:
    """PostgreSQL's statement, lock and idle-in-transaction timeouts from the environment
    (seconds; 0 for none), each defaulting to ``DatabaseTimeouts``'."""
    chosen: dict[str, float] = {}
    for name, variable in TIMEOUT_VARIABLES.items():
        text = environ.get(variable, "").strip()
        if not text:
            continue
        try:
            seconds = float(text)
        except ValueError:
            raise ValueError(f"{variable}: a number of seconds, not {text!r}") from None
        if not 0 <= seconds <= 86400 or seconds != seconds:
            raise ValueError(f"{variable}: between 0 (no limit) and 86400 seconds, not {text!r}")
        chosen[name] = seconds
    return DatabaseTimeouts(**chosen)


def agency_of_service(service_name: str) -> Agency:
    for agency, name in SERVICE_NAMES.items():
        if name == service_name:
            return agency
    raise KeyError(f"no agency runs a service named {service_name!r}")
