"""Intake's evidence endpoints: the worker's files, taken by ``evidence.check`` and only ever
handed back as downloads.

``POST /v1/claims/{case_id}/evidence`` takes the file as the raw request body (its name in
``?name=``); ``GET`` on the same path lists what was taken; ``GET .../evidence/{evidence_id}``
returns one file as an attachment that a browser will not display or run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from disputes_shared.contract.lifecycle import UnknownCase
from disputes_shared.contract.strict import TEXT_LIMITS
from disputes_shared.plumbing.access import http

from .access import CheckedCode
from .evidence import EvidenceFile, EvidenceRefused, evidence_view
from .filing_rate import TooOften

ACCESS_CODE_HEADER = "X-Access-Code"
REFUSED_STATUS = {"empty": 400, "too_large": 413, "unsupported_type": 415, "too_many_files": 409}


def _json(status: int, document: Any) -> Response:
    return Response(json.dumps(document, ensure_ascii=False), status=status,
                    mimetype="application/json")


def no_claim() -> Response:
    return _json(404, {"error": "not_found",
                       "detail": "no claim has this case number and access code"})


def too_often(refused: TooOften) -> Response:
    response = _json(429, {"error": "too_many_requests",
                           "detail": "too many requests from this address; try again later"})
    response.headers["Retry-After"] = str(max(1, math.ceil(refused.wait)))
    return response


def access_code_of(request: Any) -> str | None:
    """The worker's access code, sent in the ``X-Access-Code`` header (never in the URL, where
    logs and browser history would keep it)."""
    code = request.headers.get(ACCESS_CODE_HEADER)
    return str(code) if code else None


def download(item: EvidenceFile) -> Response:
    """The file as an attachment: its checked type (never HTML), no sniffing, no scripts."""
    response = Response(item.content, status=200, mimetype=item.media_type)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(item.name)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "no-store"
    return response


class EvidenceEndpoints:
    """Mixed into the intake service, which has ``storage`` (intake's unit of work),
    ``agency_logic`` (its service layer) and ``checked`` (``WorkerCodes``: a code checked is a
    read counted against the client's limit, whichever endpoint checks it)."""

    storage: Any
    agency_logic: Any
    acting: Any  # the signed-in staff member, if the caller sent a token instead of a code
    checked: Callable[[Any, str, str | None], CheckedCode | None]

    def _worker_code(self, request: Any, case_id: str) -> CheckedCode | None:
        """The worker's code checked (none needed by signed-in staff)."""
        return None if self.acting is not None else self.checked(request, case_id, access_code_of(request))

    @http("POST", "/v1/claims/<string:case_id>/evidence")
    def post_evidence(self, request: Any, case_id: str) -> Response:
        max_bytes = self.agency_logic.evidence_limits.max_bytes
        request.max_content_length = max_bytes  # refused before it is read
        if len(case_id) > TEXT_LIMITS["case_id"]:
            return no_claim()
        try:
            # The code first: a guess is counted and refused before its body is read.
            code = self.checked(request, case_id, access_code_of(request))
        except TooOften as refused:
            return too_often(refused)
        if code is None:
            return no_claim()
        try:
            content = request.get_data()
        except RequestEntityTooLarge:
            return _json(413, {"error": "too_large", "detail": f"a file may have at most {max_bytes} bytes"})
        try:
            with self.storage() as uow:
                item = self.agency_logic.take_evidence(uow, case_id, content, request.args.get("name"), code)
                uow.commit()
        except UnknownCase:
            return no_claim()
        except EvidenceRefused as exc:
            return _json(REFUSED_STATUS[exc.code], {"error": exc.code, "detail": str(exc)})
        return _json(201, evidence_view(item))

    @http("GET", "/v1/claims/<string:case_id>/evidence")
    def list_evidence(self, request: Any, case_id: str) -> Response:
        if len(case_id) > TEXT_LIMITS["case_id"]:
            return no_claim()
        try:
            code = self._worker_code(request, case_id)
            with self.storage() as uow:
                items = self.agency_logic.evidence_of(uow, case_id, code, by_staff=self.acting is not None)
                uow.commit()  # the read's record
        except TooOften as refused:
            return too_often(refused)
        except UnknownCase:
            return no_claim()
        return _json(200, {"case_id": case_id, "evidence": [
            {**item, "received_at": item["received_at"].isoformat()} for item in items]})

    @http("GET", "/v1/claims/<string:case_id>/evidence/<string:evidence_id>")
    def get_evidence(self, request: Any, case_id: str, evidence_id: str) -> Response:
        item = None
        if len(evidence_id) <= 64 and len(case_id) <= TEXT_LIMITS["case_id"]:
            try:
                code = self._worker_code(request, case_id)
                with self.storage() as uow:
                    item = self.agency_logic.evidence_item(uow, case_id, evidence_id, code,
                                                           by_staff=self.acting is not None)
                    uow.commit()  # the read's record
            except TooOften as refused:
                return too_often(refused)
            except UnknownCase:
                item = None
        if item is None:
            return _json(404, {"error": "not_found", "detail": "no such file on this case"})
        return download(item)
