"""Mediation's reference data, read from the package: the roster of mediators on duty
(``reference/mediators.json``)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from .domain import Mediator, Roster


@cache
def load_roster() -> Roster:
    text = resources.files("mediation").joinpath("reference/mediators.json").read_text("utf-8")
    return Roster({station: tuple(Mediator(m["mediator_id"], tuple(m["specialties"])) for m in members)
                   for station, members in json.loads(text).items()})
