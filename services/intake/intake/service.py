"""The intake service: a thin nameko entrypoint over the service layer in ``handlers``, composed
by ``bootstrap``."""

from __future__ import annotations

import json
from typing import Any

from nameko.dependency_providers import Config
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from disputes_shared.contract.lifecycle import UnknownCase
from disputes_shared.contract.strict import TEXT_LIMITS
from disputes_shared.contract.wire import MAX_BODY_BYTES, UnreadableBody, read_json
from disputes_shared.plumbing.access import http, rpc
from disputes_shared.plumbing.nameko_deps import (
    AgencyEvents,
    Metrics,
    OperationsEndpoints,
    ServiceLayer,
    Storage,
)

from .adapters import SqlIntakeUnitOfWork, metadata, plumbing
from .api import InvalidClaim, validate_submission
from .bootstrap import bootstrap
from .handlers import claim_view


def _json(status: int, document: Any) -> Response:
    return Response(json.dumps(document, ensure_ascii=False), status=status,
                    mimetype="application/json")


class IntakeService(AgencyEvents, OperationsEndpoints):
    name = "intake"
    agency_logic = ServiceLayer(bootstrap)

    config = Config()
    storage = Storage(SqlIntakeUnitOfWork, metadata, plumbing)
    metrics = Metrics()

    def _file(self, document: Any) -> dict[str, Any]:
        submission = validate_submission(document)
        with self.storage() as uow:
            claim = self.agency_logic.file_claim(uow, submission)
            uow.commit()
        return claim_view(claim)

    @http("POST", "/v1/claims")
    def post_claim(self, request: Any) -> Response:
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
        claim = None
        if len(case_id) <= TEXT_LIMITS["case_id"]:  # longer is no case number
            with self.storage() as uow:
                claim = uow.claims.get(case_id)
        if claim is None:
            return _json(404, {"error": "not_found", "detail": "no claim has this case number"})
        return _json(200, claim_view(claim))

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
            return self.agency_logic.consultations_pending(uow)

    @rpc
    def claim(self, case_id: str) -> dict[str, Any]:
        with self.storage() as uow:
            found = uow.claims.get(case_id)
        if found is None:
            raise UnknownCase(case_id)
        return claim_view(found)
