"""``disputes erase CASE_ID --reason ...`` and ``disputes export-personal-data CASE_ID``: a
worker's rights over their personal data (PIPL art. 47 deletion, art. 45 a copy), asked at
intake's counter and sent as the intake clerk whose job it is (the roles table allows it).

The erasure is intake's: it destroys its key of the case and announces it, and every agency
holding the case's dossier erases its own on that announcement. The copy gathers what each
service holds over its RPC, never from another service's database.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from .platform import RECEIVING_SERVICES, Platform

HOLDERS = ("intake", *RECEIVING_SERVICES)


def add_erase_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case_id")
    parser.add_argument("--reason", required=True,
                        help="the request's reference (e.g. its date and number); never the "
                             "worker's name or other details: it stays on the trail")
    parser.add_argument("--json", action="store_true")


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case_id")
    parser.add_argument("-o", "--output", help="write the copy to this file (default: standard output)")


def erase(args: argparse.Namespace, platform: Platform | None = None) -> int:
    with platform or Platform() as connected:
        try:
            answer = connected.call("intake", "erase_personal_data", args.case_id, args.reason)
        except RemoteError as exc:
            print(f"not erased: {exc.exc_type}: {exc.value}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        print(f"{answer['case_id']}: {answer['detail']}"
              + (f" (request {answer['request_id']})" if answer["request_id"] else ""))
    return 0


def personal_data_of(platform: Platform, case_id: str,
                     services: tuple[str, ...] = HOLDERS) -> dict[str, Any]:
    """What each service holds of the case, by service; those holding none are left out. A
    service that does not answer fails the copy: an incomplete copy would say too little."""
    answers = platform.call_many([(service, "personal_data", (case_id,), {}) for service in services])
    held: dict[str, Any] = {}
    for service, answer in zip(services, answers, strict=True):
        if isinstance(answer, RemoteError) and answer.exc_type == "UnknownCase":
            continue  # the case never reached this service
        if isinstance(answer, Exception):
            raise answer
        held[service] = answer
    return held


def export(args: argparse.Namespace, platform: Platform | None = None) -> int:
    with platform or Platform() as connected:
        try:
            held = personal_data_of(connected, args.case_id)
        except RemoteError as exc:
            print(f"no copy: {exc.exc_type}: {exc.value}", file=sys.stderr)
            return 1
        except (UnknownService, RpcTimeout) as exc:
            print(f"no copy: a service holding personal data did not answer ({exc!r})", file=sys.stderr)
            return 1
    if not held:
        print(f"no service holds case {args.case_id}", file=sys.stderr)
        return 1
    document = json.dumps({"case_id": args.case_id, "exported_at": datetime.now(UTC).isoformat(),
                           "held_by": held}, ensure_ascii=False, indent=2, default=str)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(document + "\n")
        print(f"the personal data held of {args.case_id} written to {args.output}", file=sys.stderr)
    else:
        print(document)
    return 0
