"""Run the portal: ``python -m portal.main`` (loopback unless DISPUTES_HTTP_HOST says otherwise)."""

from __future__ import annotations

import os

from werkzeug.serving import run_simple

from disputes_shared.contract.agencies import Agency
from disputes_shared.plumbing.config import amqp_uri, http_port, portal_http_port

from .app import DEFAULT_EVIDENCE_MAX_BYTES, Portal, secret_from_env
from .rpc import RpcPool, clocks_reader, trail_reader
from .signin import token_source


def main() -> None:
    intake = os.environ.get("DISPUTES_INTAKE_URL", f"http://127.0.0.1:{http_port(Agency.INTAKE)}")
    pool = RpcPool(amqp_uri(), token=token_source())
    # The same setting as intake's limit, so the portal reads no more than intake would take.
    evidence_max = int(os.environ.get("DISPUTES_EVIDENCE_MAX_BYTES", DEFAULT_EVIDENCE_MAX_BYTES))
    app = Portal(intake, trail_reader(pool), secret_from_env(), clocks=clocks_reader(pool),
                 evidence_max_bytes=evidence_max)
    host = os.environ.get("DISPUTES_HTTP_HOST", "127.0.0.1")
    print(f"portal: http://{host}:{portal_http_port()}/", flush=True)
    try:
        run_simple(host, portal_http_port(), app, threaded=True)
    finally:
        pool.close()


if __name__ == "__main__":
    main()
