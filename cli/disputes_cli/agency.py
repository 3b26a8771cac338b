"""``disputes agency add|list|suspend|resume|remove``: onboarding an outside agency at run time.

The registry is intake's (it routes the referrals), changed over RPC as the operator; the
agency's place on the broker (its user, inbox and bindings) is made here as the broker's
administrator, as ``disputes up`` makes the platform's own. Nothing is restarted: intake reads
the registry in the transaction of each claim it files.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from nameko.exceptions import RemoteError, RpcTimeout

from disputes_shared.contract.agencies import broker_user
from disputes_shared.contract.registry import (
    PURPOSES_OF,
    AgencyStatus,
    RegistryRefused,
    outside_agency,
    purpose_for,
)
from disputes_shared.contract.routing import SUBSCRIPTIONS, queue_name

from . import local
from .broker_setup import BrokerUnreachable, offboard, onboard


class Refused(RuntimeError):
    """The command cannot be done; the message says why and what to do."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    every = sorted({p.value for purposes in PURPOSES_OF.values() for p in purposes})
    actions = parser.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="register an outside agency: its broker user, inbox and "
                                         "bindings, then routing to it")
    add.add_argument("name", help="its source_agency value (" + ", ".join(a.value for a in PURPOSES_OF) + ")")
    add.add_argument("--purpose", choices=every,
                     help="what it receives (default: the one the contract gives it)")
    add.add_argument("--json", action="store_true")
    listed = actions.add_parser("list", help="the registry, with each agency's pending referrals")
    listed.add_argument("--json", action="store_true")
    for action, what in (("suspend", "route nothing new to it; what it holds stays pending with it"),
                         ("resume", "route to a suspended agency again"),
                         ("remove", "stop routing, delete its broker user (and its inbox if empty)")):
        changed = actions.add_parser(action, help=what)
        changed.add_argument("name")
        changed.add_argument("--json", action="store_true")


def command(args: argparse.Namespace) -> int:
    from .platform import Platform

    try:
        with Platform() as platform:
            done = ACTIONS[args.action](platform, args)
    except (RegistryRefused, Refused, BrokerUnreachable) as exc:
        print(f"agency {args.action}: {exc}", file=sys.stderr)
        return 1
    except RemoteError as exc:  # the registry refused (RegistryRefused at intake)
        print(f"agency {args.action}: {exc.value}", file=sys.stderr)
        return 1
    except RpcTimeout:
        print(f"agency {args.action}: intake did not answer; is the platform up (disputes status)?",
              file=sys.stderr)
        return 1
    if args.action == "list":
        _print_list(done, args.json)
    elif args.json:
        print(json.dumps(done, ensure_ascii=False, indent=2))
    else:
        print(done["said"])
    return 0


def _namespace() -> str:
    return os.environ.get("DISPUTES_BROKER_NAMESPACE", "")


def _entry(platform: Any, name: str) -> dict[str, Any] | None:
    return next((e for e in platform.call("intake", "agencies") if e["name"] == name), None)


def add(platform: Any, args: argparse.Namespace) -> dict[str, Any]:
    agency = outside_agency(args.name)
    purpose = purpose_for(agency, args.purpose)  # refused here, before the broker is touched
    known = _entry(platform, agency.value)
    if known is not None and known["status"] != AgencyStatus.REMOVED:
        hint = f"; disputes agency resume {agency}" if known["status"] == AgencyStatus.SUSPENDED else ""
        raise Refused(f"{agency} is registered already ({known['status']} since "
                      f"{known['changed_at']}, by {known['changed_by']}){hint}")
    credentials = onboard(local.admin_uri(), local.broker_users_dir(), agency, _namespace())
    entry = platform.call("intake", "register_agency", agency.value, purpose.value)
    bindings = [f"{b.exchange} {b.routing_key}" for b in SUBSCRIPTIONS.get(agency, ())]
    said = (f"{agency} registered for {purpose} and routed to from now on.\n"
            f"  broker user  {credentials.username} (password in {credentials.password_file}, "
            f"owner-only: give it to the agency's system)\n"
            f"  inbox        {queue_name(agency)}, bound to: {', '.join(bindings) or 'nothing yet'}")
    return {**entry, "broker_user": credentials.username,
            "password_file": str(credentials.password_file), "inbox": queue_name(agency),
            "bindings": bindings, "said": said}


def suspend(platform: Any, args: argparse.Namespace) -> dict[str, Any]:
    entry = platform.call("intake", "suspend_agency", args.name)
    pending = (_entry(platform, args.name) or {}).get("pending_handoffs", 0)
    said = (f"{args.name} suspended: nothing new is routed to it. The {pending} referral(s) it "
            f"holds unanswered stay pending with it (disputes handoffs shows them); its broker "
            f"user and inbox are kept, so it may still answer them and report. "
            f"disputes agency resume {args.name} routes to it again.")
    return {**entry, "pending_handoffs": pending, "said": said}


def resume(platform: Any, args: argparse.Namespace) -> dict[str, Any]:
    entry = platform.call("intake", "resume_agency", args.name)
    return {**entry, "said": f"{args.name} active again: routed to from now on."}


def remove(platform: Any, args: argparse.Namespace) -> dict[str, Any]:
    agency = outside_agency(args.name)
    entry = platform.call("intake", "remove_agency", agency.value)
    pending = (_entry(platform, agency.value) or {}).get("pending_handoffs", 0)
    gone = offboard(local.admin_uri(), local.broker_users_dir(), agency, _namespace())
    inbox = (f"its inbox {queue_name(agency)} is kept: it still holds {gone.inbox_kept_with} "
             f"message(s); delete it once they are read or moved" if gone.inbox_kept_with
             else f"its inbox {queue_name(agency)} was empty and is deleted")
    said = (f"{agency} removed: nothing is routed to it, its broker user "
            f"{broker_user(agency.value, _namespace())} is deleted and {inbox}. "
            f"{pending} referral(s) it never answered stay pending on the trail.")
    return {**entry, "pending_handoffs": pending, "inbox_kept_with": gone.inbox_kept_with, "said": said}


def listing(platform: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    return list(platform.call("intake", "agencies"))


def _print_list(entries: list[dict[str, Any]], as_json: bool) -> None:
    from .render import show, table

    if as_json:
        print(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    show(table(["agency", "purpose", "status", "pending", "since", "by"],
               [[e["name"], e["purpose"], e["status"], e["pending_handoffs"], e["changed_at"],
                 e["changed_by"]] for e in entries], title="Registered outside agencies"))


ACTIONS: dict[str, Callable[[Any, argparse.Namespace], Any]] = {"add": add, "list": listing, "suspend": suspend, "resume": resume, "remove": remove}
