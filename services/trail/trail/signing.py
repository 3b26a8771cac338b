"""The trail's signing key (Ed25519): the service signs checkpoints, auditors verify them with
the public key alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from disputes_shared.plumbing.secret_files import create_once


def load_or_create_private_key(path: Path) -> Ed25519PrivateKey:
    """The key at ``path``; a new one (readable by its owner only) when there is none, with its
    public half beside it as ``<path>.pub``. Replicas starting together agree on one key."""
    if not path.exists():
        create_once(path, Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    if not public_path(path).exists():  # whichever replica made the key, the same public half
        create_once(public_path(path), loaded.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo), mode=0o644)
    return loaded


def public_path(private_key_path: Path) -> Path:
    return private_key_path.with_name(private_key_path.name + ".pub")


def load_public_key(path: Path) -> Ed25519PublicKey:
    loaded = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(loaded, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return loaded


def signature_check(public_key: Ed25519PublicKey) -> Callable[[bytes, bytes], bool]:
    def valid(signature: bytes, message: bytes) -> bool:
        try:
            public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    return valid
