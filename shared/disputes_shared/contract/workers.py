"""A worker as compared across claims, and its ref: how events name a worker without any personal data.

A resident ID number is easy to guess (a birth date, a district code and a check digit), so a
plain hash of it could be reversed by trying them all: the ref is keyed (``contract.refs``).
"""

from __future__ import annotations

from .refs import keyed_ref


def worker_key(id_number: str) -> str:
    """The ID number as compared across claims: spaces dropped, the check letter upper case."""
    return "".join(id_number.split()).upper()


def worker_ref(id_number: str, key: bytes) -> str:
    """``case.filed``'s ``worker_ref``: the same worker always gives the same 16 hex digits
    under the same key; without the key, nothing can be learnt about the worker from it."""
    return keyed_ref(key, worker_key(id_number).encode())
