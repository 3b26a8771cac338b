"""The plain-pika agency example says what the published AsyncAPI document says: the same
inbox, arguments and bindings, and schema versions the platform reads."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "docs" / "contract"


def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "plain_pika_bureau", ROOT / "examples" / "plain_pika_agency" / "bureau.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_declares_and_binds_the_inbox_the_published_document_describes():
    bureau = example()
    document = yaml.safe_load((CONTRACT / "asyncapi.yaml").read_text(encoding="utf-8"))
    amqp = document["channels"]["inbox-labor_inspection"]["bindings"]["amqp"]
    assert bureau.INBOX == amqp["queue"]["name"]
    assert bureau.INBOX_ARGUMENTS == amqp["x-arguments"]
    assert bureau.INBOX_BINDINGS == [(b["exchange"], b["routingKey"]) for b in amqp["x-bindings"]]


def test_the_example_sends_a_minor_of_each_published_major_no_newer_than_published():
    for event_type, version in example().VERSIONS.items():
        published = json.loads((CONTRACT / "schemas" / f"{event_type}.v1.json").read_text())
        major, minor = (int(part) for part in version.split("."))
        current_major, current_minor = (int(p) for p in published["x-schema-version"].split("."))
        assert major == current_major and minor <= current_minor, event_type
