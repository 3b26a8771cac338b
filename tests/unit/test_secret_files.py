"""A service's own key files made on first use: once, whole, owner-only, even when replicas
start side by side."""

from __future__ import annotations

import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from disputes_shared.plumbing.secret_files import create_once, load_or_create_secret
from trail.signing import load_or_create_private_key, load_public_key, public_path


def side_by_side(count: int, start: Callable[[], Any]) -> list[Any]:
    """``start()`` in ``count`` threads released together; what each returned."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        results[index] = start()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_one_of_many_writers_makes_the_file_and_no_temporary_file_is_left(tmp_path: Path):
    path = tmp_path / "keys" / "key"
    made = side_by_side(8, lambda: create_once(path, b"x" * 64))
    assert made.count(True) == 1
    assert path.read_bytes() == b"x" * 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["key"]


def test_a_file_there_already_is_kept(tmp_path: Path):
    path = tmp_path / "key"
    path.write_bytes(b"first")
    assert not create_once(path, b"second")
    assert path.read_bytes() == b"first"


def test_replicas_starting_together_read_one_secret(tmp_path: Path):
    path = tmp_path / "ref-key"
    secrets = side_by_side(6, lambda: load_or_create_secret(path, 32))
    assert len(set(secrets)) == 1 and len(secrets[0]) == 32


def test_replicas_starting_together_sign_with_one_key_whose_public_half_is_beside_it(tmp_path: Path):
    path = tmp_path / "trail-signing-key.pem"
    keys = side_by_side(6, lambda: load_or_create_private_key(path))
    raw = {key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption()) for key in keys}
    assert len(raw) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    public = load_public_key(public_path(path))
    assert public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) \
        == keys[0].public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
