"""Reading a document from outside: bounded before it is parsed, strict about the text it holds.

Every boundary (the consumers of the broker, the HTTP API) reads bodies with ``read_json``, so
that a hostile or broken body is an ``UnreadableBody`` that says what is wrong, never a
``RecursionError`` (JSON nested thousands deep), a ``ValueError`` from Python's limit on digits
in an integer, a huge allocation, or text a database or an encoder refuses later (a NUL, a lone
surrogate). Refusals name the rule broken and never repeat the values sent: a message may carry
personal data, and its reason travels to logs and to the dead-letter queue.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_BODY_BYTES = 256 * 1024  # a dossier with every list full is well under this
MAX_DEPTH = 16  # the deepest document of the contract nests 5 deep
MAX_NUMBER_CHARS = 40  # digits, sign, point and exponent of one JSON number

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# The escapes that can put a NUL or a lone surrogate in a document: JSON text holds no raw
# control character and valid UTF-8 no surrogate, so a body read from bytes without one of
# these need not be walked for them (a pair's halves match too: then it is walked).
_NUL_OR_SURROGATE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


class UnreadableBody(ValueError):
    """A body that is not a bounded, well-formed JSON document of valid text.
    ``too_large`` tells a size refusal (HTTP 413) from the others (400)."""

    def __init__(self, reason: str, too_large: bool = False) -> None:
        super().__init__(reason)
        self.too_large = too_large


def read_json(body: str | bytes | bytearray, max_bytes: int = MAX_BODY_BYTES,
              max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value ``body`` holds; ``UnreadableBody`` for anything else."""
    from_bytes = isinstance(body, (bytes, bytearray))
    size = len(body) if isinstance(body, (bytes, bytearray)) else len(body.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise UnreadableBody(f"body is {size} bytes, more than the {max_bytes} allowed",
                             too_large=True)
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnreadableBody(f"body is not UTF-8 (byte {exc.start})") from None
    depth = nesting_depth(body)
    if depth > max_depth:
        raise UnreadableBody(f"body nests {depth} deep, more than the {max_depth} allowed")
    try:
        document = json.loads(body, parse_int=_integer, parse_float=_decimal_number,
                              parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        # The position, not the message's text: the decoder's own words are safe, the body not.
        raise UnreadableBody(f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not from_bytes or _NUL_OR_SURROGATE_ESCAPE.search(body):
        check_text(document)
    return document


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in JSON text, counted without parsing it."""
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_STRING.sub("", text)):
        if bracket.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def check_text(value: Any, where: str = "body") -> None:
    """Every string (keys too) is Unicode that UTF-8 can carry and a database can store."""
    if isinstance(value, str):
        if "\x00" in value:
            raise UnreadableBody(f"{where}: text must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise UnreadableBody(f"{where}: text must be valid Unicode (a lone surrogate was sent)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, where)
            check_text(item, f"{where}.{field_name(key)}")
    elif isinstance(value, list):
        for item in value:
            check_text(item, f"{where}[]")


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise UnreadableBody(f"a number has {len(text)} characters, more than the "
                             f"{MAX_NUMBER_CHARS} allowed")
    return int(text)


def _decimal_number(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise UnreadableBody(f"a number has {len(text)} characters, more than the "
                             f"{MAX_NUMBER_CHARS} allowed")
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise UnreadableBody("a number is too large to represent")
    return number


def _no_constant(text: str) -> Any:
    raise UnreadableBody(f"{text} is not a JSON number")


def field_name(key: Any) -> str:
    """A key as it may appear in a reason: a field's name, or ``<key>`` for anything else a
    sender could have put there (a name, an ID number)."""
    return key if isinstance(key, str) and _NAME.match(key) else "<key>"


def describe_errors(messages: Any, at: str = "") -> str:
    """marshmallow's error messages as ``field.path: rule; ...``, without the values sent."""
    return "; ".join(f"{path}: {rule}" for path, rule in _flatten(messages, at)) or "invalid"


def safe_errors(messages: Any) -> Any:
    """marshmallow's error messages with every key a sender chose replaced (see ``field_name``)."""
    if isinstance(messages, dict):
        return {field_name(k) if not isinstance(k, int) else str(k): safe_errors(v)
                for k, v in messages.items()}
    if isinstance(messages, list):
        return [safe_errors(m) for m in messages]
    return str(messages)


def _flatten(messages: Any, at: str) -> list[tuple[str, str]]:
    if isinstance(messages, dict):
        found = []
        for key, inner in messages.items():
            name = f"[{key}]" if isinstance(key, int) else field_name(key)
            path = name if not at else (f"{at}{name}" if name.startswith("[") else f"{at}.{name}")
            found += _flatten(inner, path)
        return found
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(at or "_schema", " ".join(messages))]
    if isinstance(messages, list):
        return [pair for m in messages for pair in _flatten(m, at)]
    return [(at or "_schema", str(messages))]
