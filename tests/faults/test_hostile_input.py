"""Hostile input at volume, at both boundaries of the whole platform (every service a process
of its own, on a private RabbitMQ): tens of thousands of generated messages and requests in
``make test``, more than 100,000 in ``make test-faults``, huge,
deeply nested, wrong-typed, over-long and binary (``tests.hostile``), part drawn by
hypothesis and the rest from a seeded corpus.

At the end: no service crashed or stopped consuming, no answer was a 5xx, every message was
parked with the very reason the contract gives for it (free of personal data), and nothing was
applied or stored. ``DISPUTES_HOSTILE_MESSAGES`` (default 20,000; 90,000 in ``make test-faults``),
``DISPUTES_HOSTILE_REQUESTS`` (default 3,000; 12,000 there) and ``DISPUTES_FAULT_SEED`` change the
run; its table of counts is printed.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import eventlet
import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from kombu import Connection

from disputes_cli import local
from disputes_cli.sandbox import sandbox_platform
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import COMPRESSED_BODY, PoisonMessage, decode, encode
from disputes_shared.contract.payloads import EVENT_TYPES
from disputes_shared.contract.routing import DEAD_LETTER_QUEUE, inbox_queues
from disputes_shared.contract.wire import UnreadableBody, read_json
from disputes_shared.kit.broker import STREAM_RECORD, inbox_shards
from disputes_shared.plumbing.config import SERVICE_NAMES, http_port, ops_port
from intake.api import InvalidClaim, validate_submission
from tests.faults.seed import SEED
from tests.support.examples import PERSONAL_VALUES, claim_document, envelope
from tests.support.hostile import corpus, hostile_bodies, hostile_headers

from .private_broker import PrivateBroker
from .scenario import Run, log, platform_agencies, query, services_alive

# make test keeps to its time budget; make test-faults sends over 100,000.
MESSAGES = int(os.environ.get("DISPUTES_HOSTILE_MESSAGES", "20000"))
REQUESTS = int(os.environ.get("DISPUTES_HOSTILE_REQUESTS", "3000"))
DRAWN_BY_HYPOTHESIS = 0.05  # of each kind; the rest from the corpus, which is far faster
TIME_LIMIT = 480  # seconds for the whole run, platform start included: 155 to 200 on 2 quiet cores, 377 on 2 busy ones
ERROR_NAMES = {"invalid_json", "invalid_claim", "too_large", "not_found"}


def drawn(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` values as hypothesis generates them (no shrinking: these are sent, not checked)."""
    found: list[Any] = []

    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found


def refused_only(bodies: list[tuple[str, bytes]], refusal: Callable[[bytes], str | None],
                 wanted: int, more: Callable[[int], list[tuple[str, bytes]]]) -> list[tuple[str, bytes, str]]:
    """``wanted`` bodies the boundary refuses, each with its refusal (a spoiling may leave a
    body valid: that one is not hostile, and would be applied)."""
    kept: list[tuple[str, bytes, str]] = []
    batch = 0
    while len(kept) < wanted:
        for kind, body in bodies:
            if (why := refusal(body)) is not None:
                kept.append((kind, body, why))
        batch += 1
        bodies = more(batch)
    return kept[:wanted]


def message_refusal(body: bytes) -> str | None:
    try:
        decode(body)
    except PoisonMessage as exc:
        return str(exc)[:2000]
    return None


def claim_refusal(body: bytes) -> str | None:
    """What the claim API answers: ``413 too_large``, ``400 invalid_json`` or ``400 invalid_claim``."""
    try:
        validate_submission(read_json(body or b"null"))
    except UnreadableBody as exc:
        return "413 too_large" if exc.too_large else "400 invalid_json"
    except InvalidClaim:
        return "400 invalid_claim"
    return None


def publish(amqp_uri: str, messages: list[tuple[str, bytes, str]], rng: random.Random) -> Counter[tuple[str, str]]:
    """Onto every platform queue in turn; the (agency, reason) each is expected parked with."""
    expected: Counter[tuple[str, str]] = Counter()
    agencies = platform_agencies()
    with Connection(amqp_uri) as connection:
        producer = connection.Producer()
        for number, (_, body, reason) in enumerate(messages):
            agency = agencies[number % len(agencies)]
            headers = hostile_headers(rng) if rng.random() < 0.05 else {}
            producer.publish(body, exchange="", routing_key=inbox_queues(agency, inbox_shards())[0], delivery_mode=2,
                             message_id=str(uuid.uuid4()), headers=headers,
                             content_type=rng.choice(["application/json", "text/plain", None]))
            expected[(str(agency), COMPRESSED_BODY if "compression" in headers else reason)] += 1
    return expected


def drain_parked(amqp_uri: str, expected: int, deadline: float) -> Counter[tuple[str, str]]:
    """Read parked messages off the parking stream until ``expected`` or the deadline. Raw
    AMQP: kombu would try to undo the ``compression`` some of them still name."""
    parked: Counter[tuple[str, str]] = Counter()

    def take(message: Any) -> None:
        channel.basic_ack(message.delivery_tag)  # credit for the next ones; a stream keeps them
        headers = message.headers or {}
        if STREAM_RECORD not in headers:  # a replay record or a listing's bookmark
            parked[(headers.get("x-parked-by", ""), headers.get("x-parked-reason", ""))] += 1

    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        channel.basic_qos(0, 500, False)  # a stream consumer must give credit
        channel.basic_consume(DEAD_LETTER_QUEUE, callback=take,
                              arguments={"x-stream-offset": "first"})
        reported = time.monotonic()
        while sum(parked.values()) < expected and time.monotonic() < deadline:
            try:
                connection.drain_events(timeout=1)
            except TimeoutError:
                continue
            # A socket that always has data never makes this greenlet wait: let the requests run.
            eventlet.sleep(0)
            if time.monotonic() - reported > 15:
                reported = time.monotonic()
                log(f"hostile input: {sum(parked.values())} of {expected} messages parked")
    return parked


PAUSES: list[float] = [0.0]


def longest_pause() -> None:
    """Keep the longest time this test's own loop did not run (a stalled client would time out
    requests that the services answered in time)."""
    while True:
        before = time.monotonic()
        eventlet.sleep(0.2)
        PAUSES[0] = max(PAUSES[0], time.monotonic() - before - 0.2)


def send_requests(requests_to_send: list[tuple[str, str, bytes, str]]) -> Counter[str]:
    """Each (method, url, body, expected answer) sent; the answers counted, by what they were."""
    answers: Counter[str] = Counter()
    sessions: list[requests.Session] = []

    def send(item: tuple[str, str, bytes, str]) -> None:
        method, url, body, expected = item
        session = sessions.pop() if sessions else requests.Session()
        try:
            answer = session.request(method, url, data=body, timeout=30,
                                     headers={"Content-Type": "application/json"})
        except requests.RequestException as exc:
            where = urlsplit(url)  # which service and path, to tell a stalled service from load
            answers[f"no answer ({type(exc).__name__}) {method} :{where.port}{where.path}"] += 1
            return
        finally:
            sessions.append(session)
        if answer.status_code == 503 and url.endswith("/health/ready"):
            answers["503 not ready"] += 1  # a check timed out under the load: an answer, not a fault
        elif answer.status_code >= 500:
            answers["5xx"] += 1
        elif expected.startswith(("400", "413")):
            document = answer.json()
            ok = f"{answer.status_code} {document.get('error')}" == expected and set(document) <= {
                "error", "detail", "fields"} and not any(v in answer.text for v in PERSONAL_VALUES)
            answers["refused as documented" if ok else f"refused otherwise ({answer.status_code})"] += 1
        else:
            answers[f"{answer.status_code}"] += 1

    pool = eventlet.GreenPool(16)
    for item in requests_to_send:
        pool.spawn_n(send, item)
    pool.waitall()
    return answers


OPERATIONS_PATHS = ("/health/live", "/health/ready", "/metrics")


def other_requests(rng: random.Random, count: int) -> list[tuple[str, str, bytes, str]]:
    """Every service's other endpoints, with odd paths, methods and bodies."""
    odd = ["", "x" * 5000, "%00", "%ff%fe", "..%2f..%2fetc%2fpasswd", "\u4e2d", "%ud800"]
    made = []
    for _ in range(count):
        agency = rng.choice(list(SERVICE_NAMES))
        path = rng.choice(["/health/live", "/health/ready", "/metrics", "/v1/claims/" + rng.choice(odd),
                           "/" + rng.choice(odd), "/v1/claims"])
        # Only intake has an API port; every service has its operations port.
        api = agency == Agency.INTAKE and path not in OPERATIONS_PATHS
        base = f"http://127.0.0.1:{http_port(agency) if api else ops_port(agency)}"
        method = rng.choice(["GET", "GET", "GET", "POST", "PUT", "DELETE", "HEAD"])
        body = rng.randbytes(rng.randint(0, 200)) if method in ("POST", "PUT") else b""
        if method == "POST" and path == "/v1/claims" and agency == Agency.INTAKE:
            continue  # a claim: those are generated and judged on their own
        made.append((method, base + path, body, "any"))
    return made


@pytest.mark.timeout(TIME_LIMIT + 300)
def test_hostile_messages_and_requests_crash_nothing_store_nothing_and_are_each_refused_with_the_reason(capsys):
    started = time.monotonic()
    rng = random.Random(SEED)
    events = [json.loads(encode(envelope(event_type))) for event_type in EVENT_TYPES]
    claims = [claim_document(), claim_document(limitation={"known_on": "2026-01-05"})]

    from_hypothesis = int(MESSAGES * DRAWN_BY_HYPOTHESIS)
    messages = refused_only(
        drawn(hostile_bodies(events), from_hypothesis), message_refusal, from_hypothesis,
        lambda batch: drawn(hostile_bodies(events), 200))
    messages += refused_only(corpus(SEED, events, MESSAGES - from_hypothesis), message_refusal,
                             MESSAGES - from_hypothesis,
                             lambda batch: corpus(SEED + batch, events, 1000))
    claim_share = REQUESTS * 2 // 3
    posted = refused_only(drawn(hostile_bodies(claims), int(claim_share * DRAWN_BY_HYPOTHESIS)),
                          claim_refusal, int(claim_share * DRAWN_BY_HYPOTHESIS),
                          lambda batch: drawn(hostile_bodies(claims), 200))
    posted += refused_only(corpus(SEED, claims, claim_share - len(posted)), claim_refusal,
                           claim_share - len(posted), lambda batch: corpus(SEED + batch, claims, 500))
    log(f"hostile input: {len(messages)} messages and {len(posted)} claims generated "
        f"in {time.monotonic() - started:.0f}s (seed {SEED})")

    broker = PrivateBroker()
    try:
        broker.start()
        with sandbox_platform(amqp_uri=broker.amqp_uri, management=broker.management_url) as env:
            run = Run(broker=broker, env=env, rng=rng)
            log(f"hostile input: platform up after {time.monotonic() - started:.0f}s")
            expected = publish(broker.amqp_uri, messages, rng)
            claims_url = f"http://127.0.0.1:{http_port(Agency.INTAKE)}/v1/claims"
            to_send = [("POST", claims_url, body, why) for _, body, why in posted]
            to_send += other_requests(rng, REQUESTS - len(to_send))
            rng.shuffle(to_send)
            log(f"hostile input: {sum(expected.values())} messages published after "
                f"{time.monotonic() - started:.0f}s")
            # The services park while the requests go in; the dead-letter queue drains meanwhile.
            draining = eventlet.spawn(drain_parked, broker.amqp_uri, sum(expected.values()),
                                      time.monotonic() + TIME_LIMIT)
            watch = eventlet.spawn(longest_pause)
            answers = send_requests(to_send)
            watch.kill()
            log(f"hostile input: {len(to_send)} requests answered after {time.monotonic() - started:.0f}s")
            parked = draining.wait()
            log(f"hostile input: {sum(parked.values())} parked after {time.monotonic() - started:.0f}s")

            stored = {service: sum(query(run, service, f"SELECT count(*) FROM {table}")[0][0]
                                   for table in ("inbox", "outbox"))
                      for service in SERVICE_NAMES.values()}
            stored["intake"] += query(run, "intake", "SELECT count(*) FROM claims")[0][0]
            stored["trail"] += query(run, "trail", "SELECT count(*) FROM trail_entries")[0][0]
            logs = "".join(p.read_text(errors="replace") for p in Path(env["DISPUTES_STATE_DIR"], "log").glob("*.log"))
            alive = services_alive(run)
    finally:
        broker.close()

    kinds = Counter(kind for kind, _, _ in messages) + Counter(kind for kind, _, _ in posted)
    row = {
        "messages sent": sum(expected.values()), "parked with the expected reason": sum((parked & expected).values()),
        "parked otherwise": sum((parked - expected).values()), "not parked": sum((expected - parked).values()),
        "requests sent": len(to_send), "5xx": answers["5xx"],
        "claims refused as documented": answers["refused as documented"],
        "rows stored": sum(stored.values()),
        "decode crashes logged": logs.count("could not decode a message"),
        "tracebacks logged": logs.count("Traceback"), "services alive": alive,
        "longest pause of the test's loop (s)": round(PAUSES[0], 1),
        "seconds": round(time.monotonic() - started),
    }
    with capsys.disabled():
        print(f"\nhostile input (seed {SEED}): the counts\n" + "\n".join(
            f"  {name:<34} {value}" for name, value in row.items()))
        print("  kinds: " + ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())))
        print("  answers: " + ", ".join(f"{answer} {n}" for answer, n in sorted(answers.items())))

    assert row["messages sent"] + row["requests sent"] >= 100_000 or MESSAGES + REQUESTS < 100_000
    assert parked == expected, (row, list((expected - parked).items())[:5], list((parked - expected).items())[:5])
    assert not any(value in reason for _, reason in parked for value in PERSONAL_VALUES)
    assert answers["5xx"] == 0 and not any(a.startswith(("no answer", "refused otherwise")) for a in answers), answers
    assert answers["refused as documented"] == len(posted), answers
    assert stored == dict.fromkeys(stored, 0), stored
    assert row["decode crashes logged"] == 0 and row["tracebacks logged"] == 0, row
    assert alive == f"{len(local.SERVICES)}/{len(local.SERVICES)}", row
    assert row["seconds"] <= TIME_LIMIT, row
