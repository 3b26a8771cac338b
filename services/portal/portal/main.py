"""Run the portal: ``python -m portal.main`` (loopback unless DISPUTES_HTTP_HOST says otherwise)."""

from __future__ import annotations

import os

from werkzeug.serving import run_simple

from disputes_shared.contract.agencies import Agency
from disputes_shared.plumbing.config import amqp_uri, http_port

from .app import Portal, rpc_trail, secret_from_env

DEFAULT_PORT = 8110


def port() -> int:
    return int(os.environ.get("DISPUTES_PORTAL_HTTP_PORT", DEFAULT_PORT))


def main() -> None:
    intake = os.environ.get("DISPUTES_INTAKE_URL", f"http://127.0.0.1:{http_port(Agency.INTAKE)}")
    app = Portal(intake, rpc_trail(amqp_uri()), secret_from_env())
    host = os.environ.get("DISPUTES_HTTP_HOST", "127.0.0.1")
    print(f"portal: http://{host}:{port()}/", flush=True)
    run_simple(host, port(), app, threaded=True)


if __name__ == "__main__":
    main()
