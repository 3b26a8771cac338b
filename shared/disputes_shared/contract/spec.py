"""The published contract, generated from the marshmallow schemas (the one source).

``write(DIR)`` (``make contract``, through ``tools/contract/contract.py``) writes:

* ``DIR/schemas/<event_type>.v<major>.json``: a JSON Schema (Draft 2020-12) of the whole message
  (envelope and payload) for each event type and major version;
* ``DIR/asyncapi.yaml``: an AsyncAPI 3 document with every exchange, routing key and message.

The committed files are the published contract: ``compatibility_problems`` compares the live
schemas with them and names every change that would break a partner without a version bump.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from .agencies import Agency, agency_directory
from .envelope import EnvelopeSchema, schema_version
from .inboxes import inbox_channel, inbox_channel_id, message_properties_trait, receive_operation
from .payloads import PAYLOAD_SCHEMAS
from .routing import (
    ADDRESSED_BY,
    AGENCY_QUEUE_ARGUMENTS,
    BROADCAST,
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    DELIVERY_LIMIT,
    DOSSIERS_EXCHANGE,
    EVENTS_EXCHANGE,
    SUBSCRIPTIONS,
    exchange_of,
    is_sharded,
    queue_name,
    routing_key,
)
from .strict import AMOUNT_PATTERN, RuleCheck

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE = "urn:disputes:contract:schemas:"
EXCHANGE_KINDS = {EVENTS_EXCHANGE: "topic", DOSSIERS_EXCHANGE: "topic", DEAD_LETTER_EXCHANGE: "fanout"}
# What a published field may change without a new major (all else about a field is its meaning).
# ``x-purposes`` is the purposes' reasons in words: which fields each purpose receives is the
# ``allOf`` beside it, which is compared.
WORDING = frozenset({"description", "title", "$comment", "x-purposes"})


class UnsupportedField(TypeError):
    """A marshmallow field the generator cannot describe: teach ``field_schema`` about it."""


# -- marshmallow to JSON Schema -------------------------------------------------------------------

def object_schema(schema: Schema, unknown: str | None = None) -> dict[str, Any]:
    properties = {name: field_schema(f) for name, f in schema.fields.items()}
    required = sorted(name for name, f in schema.fields.items() if f.required)
    document: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        document["required"] = required
    # A consumer that ignores unknown fields is what lets a minor version add one.
    document["additionalProperties"] = (unknown or schema.unknown) == EXCLUDE
    return document


def field_schema(field: fields.Field) -> dict[str, Any]:
    document = _typed(field)
    for validator in field.validators:
        document.update(_constraint(validator, document["type"]))
    if field.allow_none:
        document["type"] = [document["type"], "null"]
        if "enum" in document:
            document["enum"] = [*document["enum"], None]
    if field.metadata.get("description"):
        document["description"] = field.metadata["description"]
    return document


def _typed(field: fields.Field) -> dict[str, Any]:
    # Most specific first: AwareDateTime is a DateTime, Decimal and Integer are Numbers.
    if isinstance(field, fields.Nested):
        nested = field.schema
        return object_schema(nested, unknown=field.unknown or nested.unknown)
    if isinstance(field, fields.List):
        return {"type": "array", "items": field_schema(field.inner)}
    if isinstance(field, fields.Dict):
        document: dict[str, Any] = {"type": "object"}
        if field.value_field is not None:
            document["additionalProperties"] = field_schema(field.value_field)
        return document
    if isinstance(field, fields.Decimal):
        if not field.as_string:
            raise UnsupportedField("a Decimal field must travel as a string")
        return {"type": "string", "pattern": AMOUNT_PATTERN}
    if isinstance(field, (fields.AwareDateTime, fields.DateTime)):
        return {"type": "string", "format": "date-time", **_pattern_of(field)}
    if isinstance(field, fields.Date):
        return {"type": "string", "format": "date", **_pattern_of(field)}
    if isinstance(field, fields.UUID):
        return {"type": "string", "format": "uuid"}
    if isinstance(field, fields.Boolean):
        return {"type": "boolean"}
    if isinstance(field, fields.Integer):
        return {"type": "integer"}
    if isinstance(field, fields.Float):
        return {"type": "number"}
    if isinstance(field, fields.String):
        return {"type": "string"}
    raise UnsupportedField(f"no JSON Schema for {type(field).__name__}")


def _pattern_of(field: fields.Field) -> dict[str, str]:
    """The text a strict field takes (``strict.Day``, ``strict.Instant``), when it says."""
    pattern = getattr(field, "pattern", None)
    return {"pattern": pattern} if pattern else {}


def _constraint(validator: Any, kind: str) -> dict[str, Any]:
    if isinstance(validator, validate.OneOf):
        return {"enum": list(validator.choices)}
    if isinstance(validator, validate.Range):
        bounds: dict[str, Any] = {}
        if validator.min is not None:
            bounds["minimum" if validator.min_inclusive else "exclusiveMinimum"] = validator.min
        if validator.max is not None:
            bounds["maximum" if validator.max_inclusive else "exclusiveMaximum"] = validator.max
        # A decimal amount is text on the wire: its bounds are in its pattern and wording.
        return {} if kind == "string" else bounds
    if isinstance(validator, validate.Length):
        names = ("minItems", "maxItems") if kind == "array" else ("minLength", "maxLength")
        return {name: value for name, value in zip(names, (validator.min, validator.max), strict=True)
                if value is not None}
    if isinstance(validator, RuleCheck):
        return {"pattern": validator.pattern}
    if isinstance(validator, validate.Regexp):
        return {"pattern": validator.regex.pattern}
    if isinstance(validator, validate.URL):
        return {"format": "uri"}
    if isinstance(validator, validate.Email):
        return {"format": "email"}
    raise UnsupportedField(f"no JSON Schema for the validator {type(validator).__name__}")


# -- one message: envelope and payload ------------------------------------------------------------

def file_name(event_type: str, major: int) -> str:
    return f"{event_type}.v{major}.json"


def message_schema(event_type: str, major: int) -> dict[str, Any]:
    """The whole message of one event type and major, as a JSON Schema document."""
    payload_class = PAYLOAD_SCHEMAS[(event_type, major)]
    envelope = object_schema(EnvelopeSchema())
    payload = object_schema(payload_class())
    payload["description"] = f"The {event_type} payload (major {major})"
    if hasattr(payload_class, "published_constraints"):  # rules across fields, as JSON Schema says them
        payload.update(payload_class.published_constraints())
    envelope["properties"].update({
        "event_type": {"const": event_type, "description": "The event type of this schema"},
        "schema_version": {"type": "string", "pattern": rf"^{major}\.[0-9]+$",
                           "description": f"Any minor of major {major}; consumers ignore fields "
                                          "they do not know"},
        "payload": payload,
    })
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_BASE + file_name(event_type, major),
        "title": f"{event_type} v{major}",
        "description": _doc(payload_class) or f"The {event_type} event, major version {major}",
        "x-schema-version": schema_version(event_type, major),
        "x-exchange": exchange_of(event_type),
        "x-routing-key": routing_key(event_type, major, _addressee_part(event_type)),
        **envelope,
    }


def _doc(schema_class: type[Schema]) -> str:
    own = schema_class.__dict__.get("__doc__")
    return " ".join(own.split()) if own else ""


def _addressee_part(event_type: str) -> str:
    field = ADDRESSED_BY.get(event_type)
    return f"{{{field}}}" if field else BROADCAST


def published_schemas() -> dict[str, dict[str, Any]]:
    """Every message schema, by file name."""
    return {file_name(t, m): message_schema(t, m) for t, m in sorted(PAYLOAD_SCHEMAS)}


# -- AsyncAPI 3 -----------------------------------------------------------------------------------

def _id(event_type: str, major: int) -> str:
    return f"{event_type.replace('.', '-')}-v{major}"


def contract_version() -> str:
    """Grows with every event type, major and minor added, never with a wording change."""
    minors = sum(int(schema_version(t, m).split(".")[1]) for t, m in PAYLOAD_SCHEMAS)
    return f"1.{len(PAYLOAD_SCHEMAS) + minors}.0"


def asyncapi() -> dict[str, Any]:
    agencies = [str(a) for a in Agency]
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event_type, major in sorted(PAYLOAD_SCHEMAS):
        key = _id(event_type, major)
        schema = message_schema(event_type, major)
        for meta in ("$schema", "$id", "x-exchange", "x-routing-key"):
            schema.pop(meta)
        exchange = exchange_of(event_type)
        messages[key] = {
            "name": event_type,
            "title": f"{event_type} v{major}",
            "summary": schema["description"],
            "contentType": "application/json",
            "payload": schema,
            "traits": [{"$ref": "#/components/messageTraits/amqp-properties"}],
            "bindings": {"amqp": {"contentEncoding": "utf-8", "messageType": event_type,
                                  "bindingVersion": "0.3.0"}},
        }
        field = ADDRESSED_BY.get(event_type)
        channel: dict[str, Any] = {
            "address": routing_key(event_type, major, _addressee_part(event_type)),
            "title": f"{event_type} v{major} on {exchange}",
            "description": (f"Sent to the one agency named by the payload's `{field}`."
                            if field else "Broadcast: routing key ends in `all`."),
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            "bindings": {"amqp": {"is": "routingKey", "exchange": {
                "name": exchange, "type": EXCHANGE_KINDS[exchange], "durable": True,
                "autoDelete": False, "vhost": "/"}, "bindingVersion": "0.3.0"}},
        }
        if field:
            channel["parameters"] = {field: {"enum": agencies,
                                             "description": f"The payload's `{field}`"}}
        channels[key] = channel
        operations[f"send-{key}"] = {
            "action": "send",
            "title": f"Publish {event_type} v{major}",
            "description": "Persistent, mandatory, with publisher confirms; message_id is the event_id.",
            "channel": {"$ref": f"#/channels/{key}"},
            "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
            "bindings": {"amqp": {"deliveryMode": 2, "mandatory": True, "bindingVersion": "0.3.0"}},
        }
    channels["dead-letters"], messages["parked-message"] = _dead_letters()
    for agency in SUBSCRIPTIONS:
        channels[inbox_channel_id(agency)] = inbox_channel(agency, _id)
        operations[f"receive-{inbox_channel_id(agency)}"] = receive_operation(agency)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Labor-dispute platform events",
            "version": contract_version(),
            "description": _unwrapped(_ASYNCAPI_DESCRIPTION).format(
                events=EVENTS_EXCHANGE, dossiers=DOSSIERS_EXCHANGE, dead=DEAD_LETTER_EXCHANGE,
                dead_queue=DEAD_LETTER_QUEUE, queues=_queue_table(), limit=DELIVERY_LIMIT,
                arguments=json.dumps(AGENCY_QUEUE_ARGUMENTS)),
        },
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "127.0.0.1:5672", "protocol": "amqp",
                              "protocolVersion": "0.9.1",
                              "description": "A local broker; each deployment names its own"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages,
                       "messageTraits": {"amqp-properties": message_properties_trait()}},
        "x-agencies": agency_directory(),
    }


PARKED_HEADERS = {
    "x-parked-reason": "why it could not be handled (e.g. invalid payload, unknown major)",
    "x-parked-by": "the agency whose consumer parked it",
    "x-parked-at": "when, ISO 8601",
    "x-original-exchange": "where it was first sent",
    "x-original-routing-key": "with which routing key",
}


def _dead_letters() -> tuple[dict[str, Any], dict[str, Any]]:
    """The dead-letter queue: any message, as sent, with why it was parked."""
    channel = {
        "address": DEAD_LETTER_QUEUE,
        "title": "Parked messages",
        "description": (f"Fanout exchange `{DEAD_LETTER_EXCHANGE}` into the stream "
                        f"`{DEAD_LETTER_QUEUE}`: messages a consumer could not handle, body "
                        "unchanged; `disputes dead-letters replay` sends them back."),
        "messages": {"parked-message": {"$ref": "#/components/messages/parked-message"}},
        "bindings": {"amqp": {"is": "queue", "queue": {
            "name": DEAD_LETTER_QUEUE, "durable": True, "exclusive": False, "autoDelete": False,
            "vhost": "/"}, "bindingVersion": "0.3.0"}},
    }
    message = {
        "name": "parked",
        "title": "A parked message",
        "summary": ("The original body as it was sent (perhaps not valid at all), with the "
                    "x-parked headers when a consumer parked it, or RabbitMQ's x-death header "
                    "when the broker did (the delivery limit was reached)."),
        "headers": {"type": "object", "properties": {
            name: {"type": "string", "description": text} for name, text in PARKED_HEADERS.items()}},
        "payload": {"description": "the original body, unchanged"},
    }
    return channel, message


_ASYNCAPI_DESCRIPTION = """\
Every message is one JSON envelope (event_id, event_type, schema_version, occurred_at, case_id,
correlation_id, causation_id, source_agency, payload). Routing key:
`<event_type>.v<major>.<addressee>` (an agency, or `all`). Exchanges: `{events}` (topic,
lifecycle events, no personal data), `{dossiers}` (topic, handoff dossiers, only to the
receiving agency), `{dead}` (fanout, to the stream `{dead_queue}`: messages that could not
be handled, with headers x-parked-reason, x-parked-by, x-original-exchange,
x-original-routing-key; or, parked by the broker, its x-death header).

Every agency's queue is a quorum queue declared with the arguments {arguments}: a message
handed out more than {limit} times without being settled (its consumer kept crashing on it)
is dead-lettered to `{dead}`, never dropped.

Versions: adding an optional field is a minor change; removing, renaming or retyping a field,
or changing its meaning, is a new major, published beside the old one. Consumers read every
minor of a major they support, upcast older majors, and park a message of a major they do not
know.

Receiving: each inbox is a channel `inbox-<agency>` with a `receive` operation, its queue
arguments in `x-arguments` and its bindings in `x-bindings`: declare it with exactly those, or
the broker refuses it (406 PRECONDITION_FAILED). The AMQP properties every message carries are
the message trait `amqp-properties`; every agency, the outside systems included, is in
`x-agencies`. An outside agency's inbox is one queue (it runs as one process); a platform
service's is several shards, one active consumer each, behind a consistent-hash exchange on the
`x-case-id` header, so that its replicas share the cases and each case's events stay in order.

The platform's own queues and what they are bound to:

{queues}"""


def _unwrapped(text: str) -> str:
    """Paragraphs on one line each (list items stay lines), so YAML keeps them as written."""
    return "\n\n".join(paragraph if paragraph.startswith("{") else " ".join(paragraph.split())
                       for paragraph in text.split("\n\n"))


def _queue_table() -> str:
    return "\n".join(
        f"- `{queue_name(agency)}{'.<n>' if is_sharded(agency) else ''}`: "
        + ", ".join(f"`{b.routing_key}` on `{b.exchange}`" for b in bindings)
        for agency, bindings in SUBSCRIPTIONS.items())


# -- writing and reading the published files ------------------------------------------------------

def rendered() -> dict[str, str]:
    """Every file of the contract, by path relative to the contract folder, as text."""
    import yaml  # only the generator needs it; the kit does not

    files = {f"schemas/{name}": json.dumps(document, ensure_ascii=False, indent=2) + "\n"
             for name, document in published_schemas().items()}
    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True  # spell every list out: partners read this file

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value,
                                       style="|" if "\n" in value else None)

    Dumper.add_representer(str, text)
    files["asyncapi.yaml"] = (
        "# Generated by `make contract` from shared/disputes_shared/contract: do not edit.\n"
        + yaml.dump(asyncapi(), Dumper=Dumper, allow_unicode=True, sort_keys=False, width=100))
    return files


def write(folder: Path) -> list[str]:
    """Write the contract; remove schema files of versions no longer generated. Returns what
    changed."""
    changed = []
    files = rendered()
    for relative, text in files.items():
        path = folder / relative
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(relative)
    for stale in sorted((folder / "schemas").glob("*.json")):
        if f"schemas/{stale.name}" not in files:
            stale.unlink()
            changed.append(f"schemas/{stale.name} (removed)")
    return changed


def differences(folder: Path) -> list[str]:
    """Files whose committed text is not what the schemas generate today."""
    files = rendered()
    found = [relative for relative, text in files.items()
             if not (folder / relative).exists()
             or (folder / relative).read_text(encoding="utf-8") != text]
    found += [f"schemas/{p.name} (no longer generated)"
              for p in sorted((folder / "schemas").glob("*.json"))
              if f"schemas/{p.name}" not in files]
    return found


def read_published(folder: Path) -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted((folder / "schemas").glob("*.json"))}


# -- compatibility --------------------------------------------------------------------------------

def compatibility_problems(published: dict[str, dict[str, Any]],
                           live: dict[str, dict[str, Any]]) -> list[str]:
    """What partners would trip over: a breaking change within a published major, or any change
    without a bump of the minor version. Empty when ``live`` may be published as it is."""
    problems = []
    for name, before in sorted(published.items()):
        after = live.get(name)
        if after is None:
            problems.append(f"{name}: a published major version was removed; keep it (with its "
                            "upcaster) while partners may send it")
            continue
        breaking = list(breaking_changes(before, after))
        problems += [f"{name}: {change} needs a new major version" for change in breaking]
        old, new = (_minor(d["x-schema-version"]) for d in (before, after))
        if new < old:
            problems.append(f"{name}: the minor version went back from {old} to {new}")
        elif not breaking and new == old and _meaning(before) != _meaning(after):
            problems.append(f"{name}: changed without a minor version bump (bump `minor` on the "
                            "payload schema, then run `make contract`)")
    return problems


def _minor(version: str) -> int:
    return int(version.split(".")[1])


def _meaning(document: Any) -> Any:
    if isinstance(document, dict):
        return {k: _meaning(v) for k, v in document.items()
                if k not in WORDING and k != "x-schema-version"}
    if isinstance(document, list):
        return [_meaning(v) for v in document]
    return document


def breaking_changes(before: dict[str, Any], after: dict[str, Any], at: str = "") -> Iterable[str]:
    """Changes of ``after`` against ``before`` that a partner reading or writing ``before`` would
    not survive: a field removed (a rename is a removal), retyped, newly required, values taken
    from its enum, other constraints changed, unknown fields no longer allowed, another
    exchange or routing key."""
    where = at or "the message"
    if before.get("type") != after.get("type") or before.get("format") != after.get("format"):
        yield f"{where} changed type from {_type(before)} to {_type(after)}"
        return
    if before.get("const") != after.get("const"):
        yield f"{where} changed its constant"
    old_enum, new_enum = before.get("enum"), after.get("enum")
    if old_enum is not None and (new_enum is None or not set(old_enum) <= set(new_enum)):
        removed = sorted(set(old_enum) - set(new_enum or old_enum))
        yield f"{where} lost the values {removed}" if removed else f"{where} lost its value list"
    elif old_enum is None and new_enum is not None:
        yield f"{where} now restricts its values"
    for key in sorted((set(before) | set(after)) - {"type", "format", "enum", "const", "properties",
                                                    "required", "items", "additionalProperties"}
                      - WORDING - {"$schema", "$id", "x-schema-version"}):
        if before.get(key) != after.get(key):
            yield f"{where} changed {key} from {before.get(key)!r} to {after.get(key)!r}"
    if "items" in before or "items" in after:
        yield from breaking_changes(before.get("items", {}), after.get("items", {}), f"{where}[]")
    old_extra, new_extra = before.get("additionalProperties"), after.get("additionalProperties")
    if isinstance(old_extra, dict) or isinstance(new_extra, dict):
        yield from breaking_changes(old_extra or {}, new_extra or {}, f"{where}{{}}")
    elif old_extra is True and new_extra is False:
        yield f"{where} no longer allows fields it does not know"
    old_props, new_props = before.get("properties", {}), after.get("properties", {})
    new_required = set(after.get("required", [])) - set(before.get("required", []))
    for name in sorted(old_props):
        path = f"{at}.{name}" if at else name
        if name not in new_props:
            yield f"field {path} was removed or renamed"
        else:
            yield from breaking_changes(old_props[name], new_props[name], path)
    for name in sorted(new_required):
        yield f"field {f'{at}.{name}' if at else name} is now required"


def _type(document: dict[str, Any]) -> str:
    kind = document.get("type")
    return f"{kind}" + (f" ({document['format']})" if "format" in document else "")
