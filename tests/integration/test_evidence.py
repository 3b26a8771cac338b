"""Intake's evidence endpoints on a running intake service: a good file is stored and comes back
only as a download, to its worker (the access code); too large, the wrong type and an unknown case
are refused with nothing stored; filing is limited per client address; a file taken reaches the
case's trail as ``case.evidence_received``."""

from __future__ import annotations

import pytest
import requests

import trail.adapters
from intake.adapters import metadata
from intake.service import IntakeService
from tests.support.examples import claim_document
from tests.support.signin import staff_rpc
from tests.support.waiting import eventually
from trail.service import TrailService

# The worker's own client: it sends the claim's access code with every request.
session = requests.Session()
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200


@pytest.fixture
def intake(start_service):
    config = start_service(IntakeService, metadata, EVIDENCE_MAX_BYTES="1024")
    base = f"http://{config['WEB_SERVER_ADDRESS']}"
    filed = session.post(f"{base}/v1/claims", json=claim_document(), timeout=10)
    assert filed.status_code == 201, filed.text
    session.headers["X-Access-Code"] = filed.json()["access_code"]
    return base, filed.json()["case_id"]


def listed(base: str, case_id: str) -> list[dict]:
    reply = session.get(f"{base}/v1/claims/{case_id}/evidence", timeout=10)
    assert reply.status_code == 200
    return list(reply.json()["evidence"])


def test_a_good_file_is_stored_and_served_back_only_as_a_download(intake) -> None:
    base, case_id = intake
    reply = session.post(f"{base}/v1/claims/{case_id}/evidence", params={"name": "工资条.png"},
                          data=PNG, headers={"Content-Type": "text/html"}, timeout=10)
    assert reply.status_code == 201, reply.text
    stored = reply.json()
    assert stored["media_type"] == "image/png" and stored["size_bytes"] == len(PNG)
    assert [e["evidence_id"] for e in listed(base, case_id)] == [stored["evidence_id"]]
    got = session.get(f"{base}/v1/claims/{case_id}/evidence/{stored['evidence_id']}", timeout=10)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["Content-Type"] == "image/png"  # the checked type, not the declared one
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]


def test_a_file_too_large_is_refused_and_nothing_stored(intake) -> None:
    base, case_id = intake
    reply = session.post(f"{base}/v1/claims/{case_id}/evidence", data=PNG * 10, timeout=10)
    assert reply.status_code == 413 and reply.json()["error"] == "too_large"
    assert listed(base, case_id) == []


def test_a_web_page_called_a_picture_is_refused_and_nothing_stored(intake) -> None:
    base, case_id = intake
    reply = session.post(f"{base}/v1/claims/{case_id}/evidence", params={"name": "photo.png"},
                          data=b"<html><script>alert(1)</script></html>",
                          headers={"Content-Type": "image/png"}, timeout=10)
    assert reply.status_code == 415 and reply.json()["error"] == "unsupported_type"
    assert listed(base, case_id) == []


def test_a_wrong_code_is_refused_before_its_file_is_read(intake) -> None:
    base, case_id = intake
    too_large = PNG + b"\x00" * 2048  # over the 1 KiB limit: read, it would be a 413
    wrong = requests.post(f"{base}/v1/claims/{case_id}/evidence", data=too_large,
                          headers={"X-Access-Code": "2222222222"}, timeout=10)
    assert wrong.status_code == 404 and wrong.json()["error"] == "not_found"
    assert session.post(f"{base}/v1/claims/{case_id}/evidence", data=too_large, timeout=10).status_code == 413
    assert listed(base, case_id) == []


def test_no_file_for_an_unknown_case_and_none_read_across_cases(intake) -> None:
    base, case_id = intake
    assert session.post(f"{base}/v1/claims/LD-NOPE/evidence", data=PNG, timeout=10).status_code == 404
    stored = session.post(f"{base}/v1/claims/{case_id}/evidence", data=PNG, timeout=10).json()
    other = session.post(f"{base}/v1/claims", json=claim_document(), timeout=10).json()
    # With the other claim's own code, the file of this one is not there...
    assert requests.get(f"{base}/v1/claims/{other['case_id']}/evidence/{stored['evidence_id']}",
                        headers={"X-Access-Code": other["access_code"]}, timeout=10).status_code == 404
    # ...and without this claim's code, neither the file nor the list is.
    assert requests.get(f"{base}/v1/claims/{case_id}/evidence/{stored['evidence_id']}",
                        timeout=10).status_code == 404
    assert requests.get(f"{base}/v1/claims/{case_id}/evidence", timeout=10).status_code == 404


def test_filing_from_one_address_is_limited_and_says_when_to_come_back(start_service) -> None:
    config = start_service(IntakeService, metadata, FILING_RATE_PER_MINUTE="3")
    base = f"http://{config['WEB_SERVER_ADDRESS']}"
    statuses = [requests.post(f"{base}/v1/claims", json=claim_document(), timeout=10) for _ in range(4)]
    assert [r.status_code for r in statuses] == [201, 201, 201, 429]
    assert statuses[3].json()["error"] == "too_many_requests"
    assert 1 <= int(statuses[3].headers["Retry-After"]) <= 60


def test_every_endpoint_that_checks_an_access_code_counts_against_the_reading_limit(start_service) -> None:
    """A guess at a code costs a try whichever endpoint it is made at: the claim, the evidence
    list, a file or sending a file."""
    config = start_service(IntakeService, metadata, READING_RATE_PER_MINUTE="4")
    base = f"http://{config['WEB_SERVER_ADDRESS']}"
    case_id = requests.post(f"{base}/v1/claims", json=claim_document(), timeout=10).json()["case_id"]
    guess = {"X-Access-Code": "2222222222"}
    tries = [requests.get(f"{base}/v1/claims/{case_id}/evidence", headers=guess, timeout=10),
             requests.get(f"{base}/v1/claims/{case_id}/evidence/EV-1", headers=guess, timeout=10),
             requests.post(f"{base}/v1/claims/{case_id}/evidence", data=PNG, headers=guess, timeout=10),
             requests.get(f"{base}/v1/claims/{case_id}", headers=guess, timeout=10)]
    assert [r.status_code for r in tries] == [404, 404, 404, 404]
    refused = [requests.get(f"{base}/v1/claims/{case_id}/evidence", headers=guess, timeout=10),
               requests.get(f"{base}/v1/claims/{case_id}/evidence/EV-1", headers=guess, timeout=10),
               requests.post(f"{base}/v1/claims/{case_id}/evidence", data=PNG, headers=guess, timeout=10),
               requests.get(f"{base}/v1/claims/{case_id}", headers=guess, timeout=10)]
    assert [r.status_code for r in refused] == [429, 429, 429, 429]
    assert all(r.json()["error"] == "too_many_requests" and int(r.headers["Retry-After"]) >= 1
               for r in refused)


def test_a_forged_forwarded_for_gains_nothing_and_a_trusted_proxys_names_each_client(start_service) -> None:
    """Without trusted proxies, the header is the client's own words: ignored. With the
    portal's address trusted, the workers behind it are each counted, not counted as one."""
    config = start_service(IntakeService, metadata, FILING_RATE_PER_MINUTE="1")
    base = f"http://{config['WEB_SERVER_ADDRESS']}"
    forged = [requests.post(f"{base}/v1/claims", json=claim_document(),
                            headers={"X-Forwarded-For": f"203.0.113.{n}"}, timeout=10) for n in (1, 2)]
    assert [r.status_code for r in forged] == [201, 429]

    config = start_service(IntakeService, metadata, FILING_RATE_PER_MINUTE="1", TRUSTED_PROXIES="127.0.0.1/32")
    base = f"http://{config['WEB_SERVER_ADDRESS']}"
    behind = [requests.post(f"{base}/v1/claims", json=claim_document(),
                            headers={"X-Forwarded-For": address}, timeout=10)
              for address in ("203.0.113.1", "203.0.113.2", "203.0.113.1", "198.51.100.7, 203.0.113.2")]
    # The last one's left hop is the worker's own claim; its right, added by the proxy, counts.
    assert [r.status_code for r in behind] == [201, 201, 429, 429]


def test_a_file_taken_reaches_the_cases_trail_with_its_size_and_type_and_no_name(start_service) -> None:
    start_service(TrailService, trail.adapters.metadata)
    config = start_service(IntakeService, metadata)
    base = f"http://{config['WEB_SERVER_ADDRESS']}"
    filed = requests.post(f"{base}/v1/claims", json=claim_document(), timeout=10).json()
    case_id = filed["case_id"]
    sent = requests.post(f"{base}/v1/claims/{case_id}/evidence", params={"name": "王芳的工资条.png"},
                         data=PNG, headers={"X-Access-Code": filed["access_code"]}, timeout=10)
    assert sent.status_code == 201, sent.text
    with staff_rpc(config) as rpc:
        eventually(lambda: rpc.trail.case_states([case_id]).get(case_id))

        def evidence_on_the_trail() -> list[dict]:
            return [e for e in rpc.trail.trail(case_id)["entries"]
                    if e["event_type"] == "case.evidence_received"]

        (entry,) = eventually(evidence_on_the_trail)
    assert entry["details"]["evidence_id"] == sent.json()["evidence_id"]
    assert (entry["details"]["size_bytes"], entry["details"]["media_type"]) == (len(PNG), "image/png")
    assert entry["role"] == "worker" and "工资条" not in str(entry)
