"""The issuer's public keys, as a JWKS (RFC 7517): from a file, or from the provider's URL
(an OpenID Connect provider publishes it as ``jwks_uri``), cached and fetched again when a
token names a key not seen yet (the provider rotated its keys)."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKError, PyJWKSetError

from .refusals import Unauthenticated

log = logging.getLogger(__name__)


class KeySource(Protocol):
    def key(self, kid: str | None) -> PyJWK: ...


def _parse(document: dict[str, Any]) -> dict[str, PyJWK]:
    if isinstance(document, dict) and document.get("keys") == []:
        return {}
    try:
        keys = PyJWKSet.from_dict(document).keys
    except (PyJWKSetError, PyJWKError) as exc:
        raise ValueError(f"not a usable JWKS: {exc}") from None
    return {k.key_id or "": k for k in keys}


def _pick(keys: dict[str, PyJWK], kid: str | None) -> PyJWK | None:
    if kid is None:  # a provider with a single key may leave kid out
        return next(iter(keys.values())) if len(keys) == 1 else None
    return keys.get(kid)


class JwksFile:
    """Keys from a JWKS file, read again when it changes (a key rotated by replacing it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[float, dict[str, PyJWK]] | None = None

    def key(self, kid: str | None) -> PyJWK:
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            raise ValueError(f"JWKS file {self.path} cannot be read") from None
        if self._seen is None or self._seen[0] != mtime:
            self._seen = (mtime, _parse(json.loads(self.path.read_text())))
        found = _pick(self._seen[1], kid)
        if found is None:
            raise Unauthenticated("unknown_key", "the token names a key the issuer does not publish")
        return found


def _http_get_json(url: str, timeout: float) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 (configured URL)
        document: dict[str, Any] = json.loads(answer.read(1_000_000))
        return document


class JwksUrl:
    """Keys from the provider's JWKS URL: kept for ``max_age`` seconds, and fetched again on an
    unknown kid, at most once every ``min_refetch`` seconds (so tokens with made-up kids cannot
    make the service hammer the provider)."""

    def __init__(self, url: str, max_age: float = 3600.0, min_refetch: float = 10.0,
                 fetch: Callable[[str, float], dict[str, Any]] = _http_get_json,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.url, self.max_age, self.min_refetch = url, max_age, min_refetch
        self._fetch, self._now = fetch, monotonic
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        self._fetched_at = self._now()  # a failure too waits ``min_refetch`` before the next try
        try:
            self._keys = _parse(self._fetch(self.url, 5.0))
        except (OSError, ValueError) as exc:
            # Keep the keys known so far: a provider briefly away must not sign everyone out.
            log.error("could not fetch the issuer's keys from %s: %s", self.url, exc)

    def key(self, kid: str | None) -> PyJWK:
        with self._lock:
            now = self._now()
            if self._fetched_at is None or now - self._fetched_at > self.max_age:
                self._refresh()
            found = _pick(self._keys, kid)
            if found is None and self._fetched_at is not None \
                    and now - self._fetched_at >= self.min_refetch:
                self._refresh()  # the provider may have rotated its keys
                found = _pick(self._keys, kid)
        if found is None:
            raise Unauthenticated("unknown_key", "the token names a key the issuer does not publish")
        return found
