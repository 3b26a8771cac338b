"""What the ``disputes`` command prints. For scripts and spreadsheets (``--json``, ``--csv``):
pinned byte for byte on fixed input. For people: tables and progress in colour only on a
terminal, plain text when piped, one line per row whatever its length, the demo's rate and time
left."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from nameko.exceptions import RemoteError
from rich.cells import cell_len

from disputes_cli import dead_letters, demo
from disputes_cli import main as cli
from disputes_cli.render import DemoProgress, handoff_report, show, table, trail_report

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
        if args and args[0] == "LD-unknown":
            raise RemoteError("UnknownCase", f"no trail for case {args[0]}")
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


@pytest.mark.parametrize(("argv", "said"), [
    (["trail", "LD-unknown"], "no trail: no trail for case LD-unknown"),
    (["report", "--period", "LD-unknown"], "no report: no trail for case LD-unknown"),
    (["risk-notice", "LD-unknown"], "no notice: no trail for case LD-unknown"),
])
def test_a_refusal_is_said_in_one_line_and_the_command_exits_1(fixed, capsys, argv, said):
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    out, err = capsys.readouterr()
    assert exited.value.code == 1 and out == "" and err == said + "\n"


def test_the_demos_json_is_the_summary_alone_without_progress(fixed, capsysbinary):
    assert cli.main(["demo", "--cases", "1", "--json"]) == 0
    out, err = capsysbinary.readouterr()
    assert json.loads(out) == SUMMARY
    assert out.startswith(b'{\n  "cases_filed": 1,\n  "cases_closed": 1,\n')
    assert out.endswith(b'  "staff_errors": [],\n  "cases": []\n}\n')
    assert err == b""


ANSI = re.compile(r"\x1b\[")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def colour_terminal(monkeypatch):
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def test_piped_tables_are_plain_text_one_line_per_row_however_long():
    piped = io.StringIO()
    long_reason = "不予受理 " * 60
    show(table(["case_id", "reason"], [["LD-1", long_reason], ["LD-2", None]], title="Parked"), piped)
    lines = piped.getvalue().splitlines()
    assert not ANSI.search(piped.getvalue())
    assert lines[0] == "Parked"
    assert lines[1].split() == ["case_id", "reason"]
    assert lines[3].startswith("LD-1") and lines[3].endswith(long_reason.strip())
    assert lines[4] == "LD-2"
    assert len(lines) == 5


def test_the_handoff_view_says_which_bounced_cases_it_lists_when_not_all():
    listed = HANDOFFS["bounces"] * 25
    summary = {**HANDOFFS, "bounced_count": 1200, "bounced_cases": ["LD-2"] * 25, "bounces": listed}
    report = handoff_report(summary)
    assert "(returned twice or more): 1200 (the 20 returned last)" in report
    assert report.count("LD-2 returned 2 times") == 20
    assert "(returned twice or more): 1\n" in handoff_report(HANDOFFS)  # a trail that lists all


def test_a_terminal_gets_colour(colour_terminal):
    terminal = Terminal()
    show(table(["case_id"], [["LD-1"]]), terminal)
    assert ANSI.search(terminal.getvalue())
    assert "LD-1" in terminal.getvalue()


def test_wide_characters_keep_the_columns_aligned():
    lines = trail_report(TRAIL).splitlines()
    header, rows = lines[1], lines[3:5]
    details_column = header.index("details")
    # 调解法 takes two cells a character: the details start in the same cell column on each row.
    assert {cell_len(row[:row.index(note)]) for row, note in
            zip(rows, ("district=", "mediation ->"), strict=True)} == {cell_len(header[:details_column])}


def test_piped_progress_writes_a_line_a_tenth_with_the_rate_and_the_time_left():
    piped = io.StringIO()
    with DemoProgress(piped) as progress:
        for done in (0, 3, 5, 9, 10, 25, 26, 40, 50):
            progress(done, 50)
    lines = piped.getvalue().splitlines()
    assert [re.search(r"(\d+)/50", line).group(1) for line in lines] == ["0", "5", "10", "25", "40", "50"]
    assert all("cases/s" in line and "left" in line for line in lines)
    assert re.search(r"\d+\.\d cases/s", lines[-1])
    assert not ANSI.search(piped.getvalue())


def test_progress_on_a_terminal_is_redrawn_in_place(colour_terminal):
    terminal = Terminal()
    with DemoProgress(terminal) as progress:
        for done in range(0, 11):
            progress(done, 10)
    drawn = terminal.getvalue()
    assert "10/10" in drawn and "cases/s" in drawn
    assert "\x1b[2K" in drawn or "\r" in drawn  # the line is erased and drawn again, not appended
