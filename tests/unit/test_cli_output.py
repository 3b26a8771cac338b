"""What the ``disputes`` command prints for scripts and spreadsheets (``--json``, ``--csv``) is
pinned byte for byte on fixed input; the tables and progress for people may change their looks,
but never these."""

from __future__ import annotations

import json
from typing import Any

import pytest

from disputes_cli import dead_letters, demo
from disputes_cli import main as cli

TRAIL = {
    "case_id": "LD-20260302-0000000001", "state": "closed", "aid_state": "granted",
    "outcome": "mediated", "amount_recovered": "4800.00", "returns": 1, "bounced": False,
    "anomalies": ["clock mediation_deadline still running"],
    "entries": [
        {"at": "2026-03-02T09:00:00.000000+00:00", "agency": "intake", "role": "worker",
         "event_type": "case.filed", "move": "filed", "rule": None, "waited_seconds": None,
         "worked_seconds": None, "event_id": "e-1", "causation_id": None,
         "details": {"district": "wuhou", "amount_claimed": "4800.00", "claim_types": ["unpaid_wages"]}},
        {"at": "2026-03-02T09:05:00.000000+00:00", "agency": "mediation", "role": "mediator",
         "event_type": "handoff.returned", "move": "returned", "rule": "调解法 art. 29",
         "waited_seconds": 300.0, "worked_seconds": 7200.5, "event_id": "e-2", "causation_id": "e-1",
         "details": {"from_agency": "mediation", "to_agency": "intake", "purpose": "mediation",
                     "reason": 'not ours, "wrong" district'}},
    ],
}
HANDOFFS = {
    "pairs": [{"from_agency": "intake", "to_agency": "mediation", "handoffs": 3, "accepted": 2,
               "returned": 1, "pending": 0, "wait_p50_seconds": 12.5, "wait_p95_seconds": 300.0,
               "wait_p99_seconds": 9000.0, "wait_max_seconds": 200000.0}],
    "work": [{"agency": "mediation", "stays": 2, "work_p50_seconds": 60.0, "work_p95_seconds": None}],
    "backlog": [], "bounced_cases": ["LD-2"],
    "bounces": [{"case_id": "LD-2", "returns": 2, "path": [
        {"from_agency": "intake", "unit": "people-wuhou", "to_agency": "mediation",
         "reason": "district:wuhou"}]}],
}
PARKED = [{"message_id": "m-1", "parked_by": "mediation", "event_type": "handoff.dossier",
           "case_id": "LD-1", "reason": "dossier: 工作 missing"}]
SUMMARY = {"cases_filed": 1, "cases_closed": 1, "cases_as_expected": 1, "seconds": 1.5,
           "outcomes": {"mediated": 1}, "legal_aid": {"none": 1}, "amount_recovered": "4800.00",
           "handoffs": HANDOFFS, "staff_errors": [], "cases": []}

TRAIL_CSV = (
    "case_id,at,agency,role,event_type,move,rule,waited_seconds,worked_seconds,event_id,causation_id,details\r\n"
    "LD-20260302-0000000001,2026-03-02T09:00:00.000000+00:00,intake,worker,case.filed,filed,,,,e-1,,"
    '"{""amount_claimed"": ""4800.00"", ""claim_types"": [""unpaid_wages""], ""district"": ""wuhou""}"\r\n'
    "LD-20260302-0000000001,2026-03-02T09:05:00.000000+00:00,mediation,mediator,handoff.returned,returned,"
    '调解法 art. 29,300.0,7200.5,e-2,e-1,"{""from_agency"": ""mediation"", ""purpose"": ""mediation"", '
    '""reason"": ""not ours, \\""wrong\\"" district"", ""to_agency"": ""intake""}"\r\n'
)
TRAIL_JSON = """\
{
  "case_id": "LD-20260302-0000000001",
  "state": "closed",
  "aid_state": "granted",
  "outcome": "mediated",
  "amount_recovered": "4800.00",
  "returns": 1,
  "bounced": false,
  "anomalies": [
    "clock mediation_deadline still running"
  ],
  "entries": [
    {
      "at": "2026-03-02T09:00:00.000000+00:00",
      "agency": "intake",
      "role": "worker",
      "event_type": "case.filed",
      "move": "filed",
      "rule": null,
      "waited_seconds": null,
      "worked_seconds": null,
      "event_id": "e-1",
      "causation_id": null,
      "details": {
        "district": "wuhou",
        "amount_claimed": "4800.00",
        "claim_types": [
          "unpaid_wages"
        ]
      }
    },
    {
      "at": "2026-03-02T09:05:00.000000+00:00",
      "agency": "mediation",
      "role": "mediator",
      "event_type": "handoff.returned",
      "move": "returned",
      "rule": "调解法 art. 29",
      "waited_seconds": 300.0,
      "worked_seconds": 7200.5,
      "event_id": "e-2",
      "causation_id": "e-1",
      "details": {
        "from_agency": "mediation",
        "to_agency": "intake",
        "purpose": "mediation",
        "reason": "not ours, \\"wrong\\" district"
      }
    }
  ]
}
"""
HANDOFFS_JSON = """\
{
  "pairs": [
    {
      "from_agency": "intake",
      "to_agency": "mediation",
      "handoffs": 3,
      "accepted": 2,
      "returned": 1,
      "pending": 0,
      "wait_p50_seconds": 12.5,
      "wait_p95_seconds": 300.0,
      "wait_p99_seconds": 9000.0,
      "wait_max_seconds": 200000.0
    }
  ],
  "work": [
    {
      "agency": "mediation",
      "stays": 2,
      "work_p50_seconds": 60.0,
      "work_p95_seconds": null
    }
  ],
  "backlog": [],
  "bounced_cases": [
    "LD-2"
  ],
  "bounces": [
    {
      "case_id": "LD-2",
      "returns": 2,
      "path": [
        {
          "from_agency": "intake",
          "unit": "people-wuhou",
          "to_agency": "mediation",
          "reason": "district:wuhou"
        }
      ]
    }
  ]
}
"""
PARKED_JSON = """\
[
  {
    "message_id": "m-1",
    "parked_by": "mediation",
    "event_type": "handoff.dossier",
    "case_id": "LD-1",
    "reason": "dossier: 工作 missing"
  }
]
"""


class FixedPlatform:
    """Answers the calls the commands make with the fixed documents above."""

    def __enter__(self) -> FixedPlatform:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return {"trail": TRAIL, "handoff_summary": HANDOFFS}[method]


@pytest.fixture
def fixed(monkeypatch):
    monkeypatch.setattr(cli, "_platform", FixedPlatform)
    monkeypatch.setattr(dead_letters, "list_parked", lambda uri, limit: PARKED)
    monkeypatch.setattr(demo, "run_demo", lambda platform, *args, **kwargs: SUMMARY)


@pytest.mark.parametrize(("argv", "expected"), [
    (["trail", "LD-20260302-0000000001", "--csv"], TRAIL_CSV),
    (["trail", "LD-20260302-0000000001", "--json"], TRAIL_JSON),
    (["handoffs", "--json"], HANDOFFS_JSON),
    (["dead-letters", "list", "--json"], PARKED_JSON),
], ids=["trail-csv", "trail-json", "handoffs-json", "dead-letters-json"])
def test_machine_readable_output_is_byte_for_byte_as_pinned(fixed, capsysbinary, argv, expected):
    assert cli.main(argv) == 0
    out, err = capsysbinary.readouterr()
    assert out == expected.encode()
    assert err == b""


def test_the_demos_json_is_the_summary_alone_without_progress(fixed, capsysbinary):
    assert cli.main(["demo", "--cases", "1", "--json"]) == 0
    out, err = capsysbinary.readouterr()
    assert json.loads(out) == SUMMARY
    assert out.startswith(b'{\n  "cases_filed": 1,\n  "cases_closed": 1,\n')
    assert out.endswith(b'  "staff_errors": [],\n  "cases": []\n}\n')
    assert err == b""
