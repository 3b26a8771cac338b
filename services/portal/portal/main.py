"""Run the portal: ``python -m portal.main`` (loopback unless DISPUTES_HTTP_HOST says otherwise).

It is served by waitress, a production WSGI server (werkzeug's own server says it is for
development only): a fixed pool of threads, request bodies spooled to disk past a bound, and a
clean stop on SIGTERM that lets the pages being served finish."""

from __future__ import annotations

import os
import signal
from types import FrameType

from waitress.server import create_server

from disputes_shared.contract.agencies import Agency
from disputes_shared.plumbing.config import amqp_uri, http_port, portal_http_port

from .app import DEFAULT_EVIDENCE_MAX_BYTES, FORM_BYTES, Portal, secret_from_env
from .city_signin import CityProvider, ProviderSettings
from .rpc import RpcPool, clocks_reader, trail_reader
from .signin import token_source
from .staff import StaffCalls, staff_sign_in

THREADS = 8  # pages wait on intake and the broker, not on the CPU


def stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)  # waitress's loop ends on it and waits for the pages in flight


def main() -> None:
    intake = os.environ.get("DISPUTES_INTAKE_URL", f"http://127.0.0.1:{http_port(Agency.INTAKE)}")
    pool = RpcPool(amqp_uri(), token=token_source())
    # The same setting as intake's limit, so the portal reads no more than intake would take.
    evidence_max = int(os.environ.get("DISPUTES_EVIDENCE_MAX_BYTES", DEFAULT_EVIDENCE_MAX_BYTES))
    staff_calls = StaffCalls(amqp_uri())  # the workbench: each person's calls with their token
    try:
        city = ProviderSettings.from_environ(os.environ)
    except ValueError as wrong:
        raise SystemExit(f"portal: {wrong}") from None
    app = Portal(intake, trail_reader(pool), secret_from_env(), clocks=clocks_reader(pool),
                 evidence_max_bytes=evidence_max, staff_calls=staff_calls,
                 sign_in=staff_sign_in(os.environ), city=CityProvider(city) if city else None)
    host = os.environ.get("DISPUTES_HTTP_HOST", "127.0.0.1")
    # A file a little over the limit reaches the page that says so in the worker's language;
    # a body far past it is refused by the server before it is read.
    server = create_server(app, host=host, port=portal_http_port(), threads=THREADS,
                           ident="portal", max_request_body_size=2 * (evidence_max + FORM_BYTES),
                           clear_untrusted_proxy_headers=True)
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    print(f"portal: http://{host}:{portal_http_port()}/", flush=True)
    try:
        server.run()
    finally:
        server.close()
        staff_calls.close()
        pool.close()


if __name__ == "__main__":
    main()
