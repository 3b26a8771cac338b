"""The directory of mediation stations: public reference data that events name by id."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

STATION_KINDS = ("industry", "union", "people", "pre_arbitration")
DISTRICTS = ("jinjiang", "qingyang", "jinniu", "wuhou", "chenghua", "gaoxin")


@dataclass(frozen=True)
class Station:
    station_id: str
    name: str
    kind: str  # 行业调解站 / 工会调解 / 人民调解 / 仲裁案前调解
    district: str
    industries: tuple[str, ...] = field(default=())


@cache
def stations() -> tuple[Station, ...]:
    text = resources.files("disputes_shared").joinpath("reference/stations.json").read_text("utf-8")
    return tuple(Station(**{**row, "industries": tuple(row["industries"])}) for row in json.loads(text))


def station(station_id: str) -> Station:
    for candidate in stations():
        if candidate.station_id == station_id:
            return candidate
    raise KeyError(f"no mediation station {station_id!r}")
