"""``python -m portal run``: the portal as a process of its own, as ``disputes up`` starts it."""

import sys

from .main import main

if sys.argv[1:] not in ([], ["run"]):
    sys.exit("usage: python -m portal [run]")
main()
