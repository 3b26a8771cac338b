"""The intake service: a thin nameko entrypoint over the service layer in ``handlers``, composed
by ``bootstrap``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from nameko.timer import timer
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from disputes_shared.contract.lifecycle import UnknownCase
from disputes_shared.contract.strict import TEXT_LIMITS
from disputes_shared.contract.vocabularies import ReadVia
from disputes_shared.contract.wire import MAX_BODY_BYTES, UnreadableBody, read_json
from disputes_shared.plumbing.access import ActingPerson, http, rpc
from disputes_shared.plumbing.forwarding import FORWARDED_FOR
from disputes_shared.plumbing.nameko_deps import (
    AgencyEvents,
    Metrics,
    OperationsEndpoints,
    ServiceLayer,
    Storage,
    operational,
)

from .access import CheckedCode, new_access_code
from .adapters import SqlIntakeUnitOfWork, metadata, plumbing
from .api import InvalidClaim, validate_submission
from .bootstrap import bootstrap
from .evidence_api import ACCESS_CODE_HEADER, EvidenceEndpoints, access_code_of, no_claim, too_often
from .filing_rate import ClientLimit, TooOften
from .handlers import claim_view, registry_view
from .registry import RegisteredAgency
from .worker_codes import WorkerCodes, stretched_on_a_thread


def _json(status: int, document: Any) -> Response:
    return Response(json.dumps(document, ensure_ascii=False), status=status,
                    mimetype="application/json")


class RateLimits(DependencyProvider):
    """Per client address and minute, every replica's requests counted together: claims filed
    (``FILING_RATE_PER_MINUTE``) or access codes checked (``READING_RATE_PER_MINUTE``); 0 turns a
    limit off. The client is found through ``TRUSTED_PROXIES`` (the ingress controller, the
    worker portal)."""

    def __init__(self, scope: str, setting: str, default: int) -> None:
        self.scope, self.setting, self.default = scope, setting, default

    def setup(self) -> None:
        config = self.container.config
        self.limit = ClientLimit.of(self.scope, int(config.get(self.setting, self.default)),
                                    config.get("TRUSTED_PROXIES", ""))

    def get_dependency(self, worker_ctx: Any) -> ClientLimit:
        return self.limit


# How often the retention job looks for expired cases: a day's erasures are due from the start
# of the day, and a look that finds none is one indexed query.
RETENTION_SWEEP_SECONDS = 3600


class IntakeService(AgencyEvents, OperationsEndpoints, EvidenceEndpoints, WorkerCodes):
    name = "intake"
    agency_logic = ServiceLayer(partial(bootstrap, stretch=stretched_on_a_thread))

    config = Config()
    storage = Storage(SqlIntakeUnitOfWork, metadata, plumbing)
    metrics = Metrics()
    acting = ActingPerson()
    filing_rate = RateLimits("filing", "FILING_RATE_PER_MINUTE", 20)
    reading_rate = RateLimits("reading", "READING_RATE_PER_MINUTE", 120)

    def counted_across_replicas(self, scope: str, client: str, minute: int) -> tuple[int, int]:
        """A request counted with every replica's, in intake's database (``ClientLimit``)."""
        with self.storage() as uow:
            counts = uow.request_counts.counted(scope, client, minute)
            uow.commit()
        return counts

    @timer(interval=60)
    @operational
    def forget_old_counts(self) -> None:
        """The requests counted before the sliding minute's earlier half: no limit reads them."""
        with self.storage() as uow:
            uow.request_counts.forget_before(int(time.time() // 60) - 1)
            uow.commit()

    def _file(self, document: Any) -> dict[str, Any]:
        """File a claim; the answer carries the worker's access code, told this once only."""
        submission = validate_submission(document)
        access_code = new_access_code()
        digest = self.agency_logic.access_digest(access_code)
        with self.storage() as uow:
            claim = self.agency_logic.file_claim(uow, submission, access_code_digest=digest)
            uow.commit()
        return {**claim_view(claim), "access_code": access_code}

    @http("POST", "/v1/claims")
    def post_claim(self, request: Any) -> Response:
        try:
            self.filing_rate.check(request.remote_addr, request.headers.get(FORWARDED_FOR),
                                   self.counted_across_replicas)
        except TooOften as refused:
            return too_often(refused)
        request.max_content_length = MAX_BODY_BYTES  # refused before it is read
        try:
            document = read_json(request.get_data() or b"null")
        except RequestEntityTooLarge:
            return _json(413, {"error": "too_large",
                               "detail": f"the body may have at most {MAX_BODY_BYTES} bytes"})
        except UnreadableBody as exc:
            return _json(413 if exc.too_large else 400,
                         {"error": "too_large" if exc.too_large else "invalid_json",
                          "detail": str(exc)})
        try:
            return _json(201, self._file(document))
        except InvalidClaim as exc:
            return _json(400, {"error": "invalid_claim", "fields": exc.errors})

    @http("GET", "/v1/claims/<string:case_id>")
    def get_claim(self, request: Any, case_id: str) -> Response:
        """The claim, for its worker (the case number and the access code both), or for signed-in
        staff whose role may read it (checked at the entrypoint)."""
        if self.acting is not None:
            try:
                return _json(200, self._read_claim(case_id, None, by_staff=True, via=ReadVia.HTTP))
            except UnknownCase:
                return no_claim()
        access_code = access_code_of(request)
        if not access_code:
            return _json(401, {"error": "access_code_required",
                               "detail": f"send the claim's access code in {ACCESS_CODE_HEADER}"})
        if len(case_id) > TEXT_LIMITS["case_id"]:  # longer is no case number
            return no_claim()
        try:
            return _json(200, self._read_claim(case_id, self.checked(request, case_id, access_code),
                                               by_staff=False, via=ReadVia.HTTP))
        except TooOften as refused:
            return too_often(refused)
        except UnknownCase:
            return no_claim()

    def _read_claim(self, case_id: str, access_code: CheckedCode | None, by_staff: bool,
                    via: ReadVia) -> dict[str, Any]:
        """The claim, its read recorded in the same transaction (staff, admitted by role at the
        entrypoint, need no code)."""
        with self.storage() as uow:
            found = self.agency_logic.read_claim(uow, case_id, access_code, by_staff, via)
            uow.commit()
        return found

    @rpc
    def file_claim(self, document: dict[str, Any]) -> dict[str, Any]:
        """File a claim (for hotline and referral systems); raises ``InvalidClaim``."""
        return self._file(document)

    @rpc
    def hold_consultation(self, case_id: str, participants: dict[str, str], plan: str) -> dict[str, Any]:
        """特事急诊: record the joint consultation of an urgent case and its plan."""
        with self.storage() as uow:
            claim = self.agency_logic.hold_consultation(uow, case_id, participants, plan)
            uow.commit()
        return claim_view(claim)

    @rpc
    def consultations_pending(self) -> list[dict[str, Any]]:
        with self.storage() as uow:
            pending = self.agency_logic.consultations_pending(uow)
            uow.commit()  # the reads' records
        return pending

    @rpc
    def claim(self, case_id: str) -> dict[str, Any]:
        return self._read_claim(case_id, None, by_staff=True, via=ReadVia.RPC)

    # -- personal data: retention and the worker's rights (``disputes erase``, ``export-personal-data``)

    @timer(interval=RETENTION_SWEEP_SECONDS)
    @operational
    def erase_expired(self) -> None:
        """The retention schedule's erasures (each announced; the other services follow)."""
        with self.storage() as uow:
            if any(self.agency_logic.erase_expired(uow).values()):
                uow.commit()

    @rpc
    def erase_personal_data(self, case_id: str, reason: str) -> dict[str, Any]:
        """PIPL art. 47: erase a closed case's personal data here and, by the announcement,
        everywhere; raises ``ErasureRefused`` or ``LegalHold`` saying why not."""
        with self.storage() as uow:
            found = self.agency_logic.erase_on_request(uow, case_id, reason)
            uow.commit()
        return found

    @rpc
    def personal_data(self, case_id: str) -> dict[str, Any]:
        """PIPL art. 45: the claim's personal fields, for the worker's copy."""
        with self.storage() as uow:
            found = self.agency_logic.personal_data(uow, case_id)
            uow.commit()  # the read's record, before the answer
        return found

    # -- the registry of outside agencies (operators; ``disputes agency``) ----------------------

    @rpc
    def register_agency(self, name: str, purpose: str | None = None) -> dict[str, Any]:
        """Route to an outside agency from now on; raises ``RegistryRefused`` saying why not."""
        return self._change_registry(
            lambda uow, agency: self.agency_logic.register_agency(uow, agency, purpose), name)

    @rpc
    def suspend_agency(self, name: str) -> dict[str, Any]:
        """Route nothing new to it; the referrals it holds stay pending with it."""
        return self._change_registry(self.agency_logic.suspend_agency, name)

    @rpc
    def resume_agency(self, name: str) -> dict[str, Any]:
        return self._change_registry(self.agency_logic.resume_agency, name)

    @rpc
    def remove_agency(self, name: str) -> dict[str, Any]:
        return self._change_registry(self.agency_logic.remove_agency, name)

    def _change_registry(self, change: Callable[[Any, str], RegisteredAgency], name: str) -> dict[str, Any]:
        with self.storage() as uow:
            entry = change(uow, name)
            uow.commit()
        return registry_view(entry)

    @rpc
    def agencies(self) -> list[dict[str, Any]]:
        with self.storage() as uow:
            return self.agency_logic.agencies(uow)
