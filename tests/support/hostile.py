"""What an attacker or a broken partner sends: hostile bodies for the broker's and the HTTP
API's boundaries. Huge, deeply nested, wrong-typed, over-long, binary, not UTF-8, lone
surrogates, NUL, numbers of thousands of digits, NaN, truncated JSON.

``hostile_body(rng, document)`` spoils a valid document one way, chosen by ``rng``. With a
``random.Random`` of a fixed seed it makes a corpus fast (the fault tier's long runs); with
hypothesis's ``st.randoms()`` every choice is hypothesis's, so the property tests shrink a
failure to its simplest form.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from disputes_shared.contract.wire import MAX_BODY_BYTES

# Values a field may be given instead of its own: other JSON types, the strings a lenient
# parser takes for booleans and numbers, text over every limit, text no database stores.
SPOILERS: list[Callable[[random.Random], Any]] = [
    lambda r: None, lambda r: True, lambda r: False, lambda r: 0, lambda r: 1, lambda r: -1,
    lambda r: 2**31, lambda r: r.randint(-(10**30), 10**30), lambda r: r.uniform(-1e12, 1e12),
    lambda r: 1e308, lambda r: 2.5, lambda r: [], lambda r: {}, lambda r: [1, "a", None],
    lambda r: {"nested": {"deeper": [True]}}, lambda r: "", lambda r: " ",
    lambda r: r.choice(["true", "false", "yes", "no", "1", "0", "on", "null", "NaN", "Infinity"]),
    lambda r: r.choice(["1e3", "-0.01", "100000000.01", "0x10", "1_000", "３２００", "12.345"]),
    lambda r: r.choice(["2026-13-45", "20260101", "2026-W01-1", "9999-12-31T23:59:59+00:00",
                        "0001-01-01", "2026-03-02T09:00:00"]),
    lambda r: "x" * r.randint(30, 300), lambda r: "长" * r.randint(60, 3000),
    lambda r: "\ud800", lambda r: "a\udfffb", lambda r: "a\x00b", lambda r: "\x00",
    lambda r: "".join(chr(r.randint(0, 0x10FFFF)) for _ in range(r.randint(1, 20))),
    lambda r: [r.choice(["unpaid_wages", "x"]) for _ in range(r.randint(40, 80))],
]

RAW_KINDS = ["deep", "long number", "constant", "truncated", "bad byte", "oversize", "binary",
             "not an object", "empty", "surrogate bytes", "duplicate keys", "trailing junk"]
KINDS = ["spoilt field", "removed field", "extra field", *RAW_KINDS]
# For long runs: bodies of hundreds of kilobytes rarer, or the broker carries gigabytes.
CORPUS_WEIGHTS = [3.0 if kind == "spoilt field" else 0.02 if kind == "oversize"
                  else 0.3 if kind == "deep" else 1.0 for kind in KINDS]


def hostile_body(rng: random.Random, document: dict[str, Any],
                 weights: list[float] | None = None) -> tuple[str, bytes]:
    """``document`` spoilt one way: (the kind of spoiling, the body)."""
    kind = rng.choices(KINDS, weights)[0] if weights else rng.choice(KINDS)
    spoilt = json.loads(json.dumps(document))
    if kind in ("spoilt field", "removed field", "extra field"):
        parent, key = _somewhere(rng, spoilt)
        if kind == "removed field" and isinstance(parent, dict):
            del parent[key]
        elif kind == "extra field" and isinstance(parent, dict):
            parent[rng.choice(["extra", "x" * 200, "\ud800", "a\x00"])] = rng.choice(SPOILERS)(rng)
        else:
            parent[key] = rng.choice(SPOILERS)(rng)
        return kind, _dumps(rng, spoilt)
    text = json.dumps(spoilt, ensure_ascii=False)
    if kind == "deep":
        depth = rng.choice([17, 64, 1000, 5000, 40_000])
        opening, closing = rng.choice([("[", "]"), ('{"a":', "}")])
        return kind, _at_a_value(rng, text, opening * depth + "1" + closing * depth).encode()
    if kind == "long number":
        digits = rng.choice([41, 400, 4301, 5000, 20_000])
        number = rng.choice(["9" * digits, "-" + "1" * digits, "1." + "0" * digits, "1e" + "9" * digits])
        return kind, _at_a_value(rng, text, number).encode()
    if kind == "constant":
        return kind, _at_a_value(rng, text, rng.choice(["NaN", "Infinity", "-Infinity"])).encode()
    if kind == "truncated":
        return kind, text.encode()[: rng.randint(0, max(0, len(text.encode()) - 1))]
    if kind == "bad byte":
        body = bytearray(text.encode())
        body[rng.randrange(len(body))] = rng.choice([0xFF, 0xC0, 0x80, 0xED])
        return kind, bytes(body)
    if kind == "oversize":
        pad = "x" * (MAX_BODY_BYTES + rng.randint(1, 64 * 1024))
        return kind, _at_a_value(rng, text, json.dumps(pad)).encode()
    if kind == "binary":
        return kind, rng.randbytes(rng.randint(1, 2048))
    if kind == "not an object":
        return kind, json.dumps(rng.choice([[], [document], "text", 42, None, True])).encode()
    if kind == "empty":
        return kind, rng.choice([b"", b" ", b"\n", b"\xef\xbb\xbf{}"])
    if kind == "surrogate bytes":  # UTF-8 of a lone surrogate: not UTF-8 at all
        return kind, _at_a_value(rng, text, '"\ud800"').encode("utf-8", "surrogatepass")
    if kind == "duplicate keys":
        return kind, (text[:-1] + ', "event_id": 1, "payload": []}').encode()
    return kind, (text + rng.choice(["x", "}", " {}", "\x00"])).encode()


def _somewhere(rng: random.Random, document: dict[str, Any]) -> tuple[Any, Any]:
    """A (container, key) anywhere in the document, the top level as likely as below."""
    parent: Any = document
    key: Any = rng.choice(sorted(document))
    while isinstance(parent[key], (dict, list)) and parent[key] and rng.random() < 0.5:
        parent = parent[key]
        key = rng.choice(sorted(parent)) if isinstance(parent, dict) else rng.randrange(len(parent))
    return parent, key


def _at_a_value(rng: random.Random, text: str, raw: str) -> str:
    """``text`` (a JSON object) with one of its top-level values replaced by raw JSON text."""
    document = json.loads(text)
    key = rng.choice(sorted(document))
    marker = "\ue000marker\ue000"
    document[key] = marker
    return json.dumps(document, ensure_ascii=False).replace(json.dumps(marker, ensure_ascii=False), raw, 1)


def _dumps(rng: random.Random, document: Any) -> bytes:
    """JSON as a partner might send it: escaped or not (a lone surrogate sent unescaped is
    not UTF-8, so ``surrogatepass`` writes the bytes a broken encoder would)."""
    return json.dumps(document, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")


def hostile_headers(rng: random.Random) -> dict[str, Any]:
    """Headers a broken or hostile publisher sets: kombu's compression, nameko's context, big,
    nested and odd-typed values."""
    return rng.choice([
        {}, {"compression": "application/x-gzip"}, {"compression": "no-such-codec"},
        {"nameko.call_id_stack": ["x" * 500] * 20}, {"nameko.authorization": None},
        {"x-parked-reason": "forged"}, {"x": {"nested": [1, 2.5, True, None, {"y": "z"}]}},
        {"big": "h" * 60_000}, {"n": 2**62, "neg": -(2**62), "f": 1e308},
    ])


def hostile_bodies(documents: list[dict[str, Any]]) -> st.SearchStrategy[tuple[str, bytes]]:
    """For hypothesis: one of ``documents`` spoilt, every choice drawn by hypothesis."""
    return st.builds(hostile_body, st.randoms(use_true_random=False), st.sampled_from(documents))


def corpus(seed: int, documents: list[dict[str, Any]], count: int) -> list[tuple[str, bytes]]:
    """``count`` hostile bodies, the same for the same seed."""
    rng = random.Random(seed)
    return [hostile_body(rng, rng.choice(documents), CORPUS_WEIGHTS) for _ in range(count)]
