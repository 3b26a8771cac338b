"""``disputes reads --worker``: a worker named by the keyed ref the trail knows them by.

The auditor types the worker's resident ID number on standard input (an argument would show in
the process list and the shell's history); the ref is computed here with intake's worker-ref key
(``case.filed``'s ``worker_ref``), and only the ref is sent.
"""

from __future__ import annotations

import getpass
from typing import TextIO

from disputes_shared.contract.personal_numbers import resident_id_problem
from disputes_shared.contract.refs import REF_KEY_BYTES
from disputes_shared.contract.workers import worker_key, worker_ref
from disputes_shared.plumbing.config import worker_ref_key_file


def worker_ref_of_id_number(stdin: TextIO) -> str:
    """The ref of the ID number read from ``stdin`` (asked without echo on a terminal); raises
    ``ValueError`` for an ID number that is not one, or without intake's key."""
    typed = getpass.getpass("resident ID number: ") if stdin.isatty() else stdin.readline()
    id_number = worker_key(typed)
    problem = resident_id_problem(id_number)
    if problem:
        raise ValueError(f"the ID number given {problem}")
    key_file = worker_ref_key_file()
    if not key_file.exists():
        raise ValueError(f"no worker-ref key at {key_file} (DISPUTES_WORKER_REF_KEY_FILE): run this "
                         "where intake's key is")
    key = key_file.read_bytes()
    if len(key) < REF_KEY_BYTES:
        raise ValueError(f"{key_file} is not a worker-ref key")
    return worker_ref(id_number, key)
