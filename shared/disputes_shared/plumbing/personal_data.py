"""Personal data encrypted at rest: envelope encryption with a data key per case (AES-256-GCM),
each data key wrapped by a key-encryption key that a key-management port holds apart from the
data; equality lookups by keyed hash (HMAC-SHA256), never by plaintext.

A case's data key never leaves memory unwrapped; rotating the key-encryption key re-wraps the
data keys (a few bytes per case) and leaves every encrypted row as it is. Where the keys live,
and how to plug a city's KMS or HSM, is in docs/security.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
import os
import secrets
import stat
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from .column_types import _json_default

SEALED_PREFIX = "pd1:"  # the format of a sealed value: version 1, AES-256-GCM, 96-bit nonce
_NONCE_BYTES = 12


class PersonalDataError(Exception):
    """A sealed value cannot be opened: a wrong or missing key, or the text was tampered with."""


class KeyManagement(ABC):
    """The key-management port: holds the key-encryption keys (KEKs) and the lookup key, and
    never hands a KEK out. A city's KMS or HSM implements these four methods (wrap and unwrap
    are its encrypt and decrypt of a 32-byte data key; the lookup key may be an HMAC key it
    releases to the service, or ``lookup_digest`` may call its MAC operation)."""

    @abstractmethod
    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        """The data key wrapped by the current KEK, with that KEK's id."""

    @abstractmethod
    def unwrap(self, kek_id: str, wrapped: bytes) -> bytes:
        """The data key that ``wrapped`` holds; PersonalDataError if the KEK refuses it."""

    @abstractmethod
    def rotate(self) -> str:
        """Make a new KEK current (older ones still unwrap); its id."""

    @abstractmethod
    def lookup_key(self) -> bytes:
        """The key of the keyed hashes that stand in for personal values in equality lookups."""

    def lookup_digest(self, value: str) -> str:
        return hmac.new(self.lookup_key(), value.encode("utf-8"), hashlib.sha256).hexdigest()


class LocalKeyFile(KeyManagement):
    """KEKs in a JSON file readable by its owner alone (created so on first use); in Kubernetes a
    Secret mounted read-only. Re-read when it changes, so a rotation made by an operator's
    command reaches the running services."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: int | None = None
        self._document: dict[str, Any] = {}

    def _load(self) -> dict[str, Any]:
        try:  # one stat per call: every case a unit of work opens has its key unwrapped
            status = self.path.stat()
        except FileNotFoundError:
            self._create()
            status = self.path.stat()
        if status.st_mode & stat.S_IRWXO:
            raise PersonalDataError(f"{self.path} is readable by others: the key file must be "
                                    "its owner's (and at most its group's) alone")
        if status.st_mtime_ns != self._seen:
            self._document = json.loads(self.path.read_text(encoding="utf-8"))
            self._seen = status.st_mtime_ns
        return self._document

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._write({"current": "kek-1", "keys": {"kek-1": _b64(secrets.token_bytes(32))},
                     "lookup": _b64(secrets.token_bytes(32))}, exclusive=True)

    def _write(self, document: dict[str, Any], exclusive: bool = False) -> None:
        text = json.dumps(document, indent=2) + "\n"
        if exclusive:
            try:
                descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return  # another process created it first: use theirs
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(text)
            return
        staged = self.path.with_name(self.path.name + ".new")
        descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(staged, self.path)

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        document = self._load()
        current = document["current"]
        return current, aes_key_wrap(_unb64(document["keys"][current]), data_key)

    def unwrap(self, kek_id: str, wrapped: bytes) -> bytes:
        keys = self._load()["keys"]
        if kek_id not in keys:
            raise PersonalDataError(f"no key-encryption key {kek_id!r} in {self.path}")
        try:
            return aes_key_unwrap(_unb64(keys[kek_id]), wrapped)
        except InvalidUnwrap:
            raise PersonalDataError(f"key-encryption key {kek_id!r} does not open this data key") from None

    def rotate(self) -> str:
        document = dict(self._load())
        keys = dict(document["keys"])
        new_id = f"kek-{max(int(k.split('-')[1]) for k in keys) + 1}"
        keys[new_id] = _b64(secrets.token_bytes(32))
        self._write({**document, "current": new_id, "keys": keys})
        return new_id

    def lookup_key(self) -> bytes:
        return _unb64(self._load()["lookup"])


def key_settings(service: str, environ: Mapping[str, str]) -> dict[str, str]:
    """``DISPUTES_KEY_MANAGEMENT`` (``package.module:factory``, called with the service's name,
    for a KMS or HSM adapter; empty: the local key file) and ``DISPUTES_<SERVICE>_KEY_FILE``
    (by default ``$DISPUTES_KEYS_DIR/<service>.json``, away from the databases)."""
    return {"KEY_MANAGEMENT": environ.get("DISPUTES_KEY_MANAGEMENT", ""),
            "PERSONAL_DATA_KEY_FILE": environ.get(f"DISPUTES_{service.upper()}_KEY_FILE")
            or str(Path(environ.get("DISPUTES_KEYS_DIR", "var/keys")) / f"{service}.json")}


def key_management(service: str, settings: Mapping[str, Any]) -> KeyManagement:
    """A service's key management from its configuration (``key_settings``)."""
    if not settings.get("PERSONAL_DATA_KEY_FILE") and not settings.get("KEY_MANAGEMENT"):
        settings = key_settings(service, os.environ)
    if adapter := settings.get("KEY_MANAGEMENT"):
        module, _, name = adapter.partition(":")
        factory: Callable[[str], KeyManagement] = getattr(importlib.import_module(module), name)
        return factory(service)
    return LocalKeyFile(Path(settings["PERSONAL_DATA_KEY_FILE"]))


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(data_key: bytes, value: Any, context: str) -> str:
    """``value`` (anything JSON takes) encrypted under the case's data key. ``context`` (table,
    column, case) is authenticated with it, so a sealed value moved to another row or column no
    longer opens."""
    plain = json.dumps(value, ensure_ascii=False, default=_json_default).encode("utf-8")
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(data_key).encrypt(nonce, plain, context.encode("utf-8"))
    return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def open_sealed(data_key: bytes, text: str, context: str) -> Any:
    if not is_sealed(text):
        raise PersonalDataError(f"{context}: not a sealed value")
    raw = base64.urlsafe_b64decode(text[len(SEALED_PREFIX):])
    try:
        plain = AESGCM(data_key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode("utf-8"))
    except InvalidTag:
        raise PersonalDataError(f"{context}: the sealed value was altered, or this is not its key") from None
    return json.loads(plain)


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)
