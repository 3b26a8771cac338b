"""A sandbox's ports lie below the kernel's ephemeral range, so that a service restarted in a
fault run finds its port free again, not taken by an outgoing connection made while it was
down (a connected socket's local port cannot be bound by a listener, SO_REUSEADDR or not)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from disputes_cli import sandbox


def ephemeral_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    path = tmp_path / "ip_local_port_range"
    path.write_text(text)
    monkeypatch.setattr(sandbox, "EPHEMERAL_PORTS", path)


def test_a_block_lies_below_the_first_ephemeral_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ephemeral_range(tmp_path, monkeypatch, "30000\t60999\n")
    for _ in range(50):
        base = sandbox.free_port_block(35)
        assert 20000 <= base and base + 35 < 30000


def test_a_range_that_leaves_no_room_below_falls_back_to_the_whole_span(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ephemeral_range(tmp_path, monkeypatch, "1024 65535")
    base = sandbox.free_port_block(35)
    assert 20000 <= base and base + 35 < 60000


def test_an_unreadable_range_assumes_linux_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "EPHEMERAL_PORTS", tmp_path / "absent")
    base = sandbox.free_port_block(10)
    assert base + 10 < 32768


def test_a_port_held_by_a_connection_is_not_free() -> None:
    """Why the range matters: the outgoing side of a connection holds its local port."""
    with socket.create_server(("127.0.0.1", 0)) as server, \
            socket.create_connection(server.getsockname()) as client:
        peer, _ = server.accept()
        with peer:
            assert not sandbox._port_is_free(client.getsockname()[1])
