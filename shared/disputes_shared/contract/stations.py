"""The directory of mediation stations: public reference data that events name by id."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

STATION_KINDS = ("industry", "union", "people", "pre_arbitration")
DISTRICTS = ("jinjiang", "qingyang", "jinniu", "wuhou", "chenghua", "gaoxin")


@dataclass(frozen=True)
class Station:
    station_id: str
    name: str
    kind: str  # 行业调解站 / 工会调解 / 人民调解 / 仲裁案前调解
    district: str
    industries: tuple[str, ...] = field(default=())
    capacity: int = 40  # cases in mediation at once; a station this full returns new ones


@cache
def stations() -> tuple[Station, ...]:
    """The directory shipped with the platform, or a city's own in the same shape (the file
    named by ``DISPUTES_STATIONS_FILE``); read once per process."""
    own = os.environ.get("DISPUTES_STATIONS_FILE")
    text = (Path(own).read_text("utf-8") if own else
            resources.files("disputes_shared").joinpath("reference/stations.json").read_text("utf-8"))
    return tuple(Station(**{**row, "industries": tuple(row["industries"])}) for row in json.loads(text))


def station(station_id: str) -> Station:
    for candidate in stations():
        if candidate.station_id == station_id:
            return candidate
    raise KeyError(f"no mediation station {station_id!r}")


@cache
def district_centres() -> dict[str, tuple[float, float]]:
    """Each district's centre (latitude, longitude), for "the nearest station" (15分钟服务圈)."""
    text = resources.files("disputes_shared").joinpath("reference/districts.json").read_text("utf-8")
    return {name: (float(lat), float(lon)) for name, (lat, lon) in json.loads(text).items()}


def district_distance_km(a: str, b: str) -> float:
    """Great-circle distance between two districts' centres."""
    (lat1, lon1), (lat2, lon2) = (map(math.radians, district_centres()[d]) for d in (a, b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def nearest_first(candidates: Iterable[Station], district: str) -> list[Station]:
    """Stations ordered by distance from ``district`` (ties keep directory order)."""
    return sorted(candidates, key=lambda s: district_distance_km(district, s.district))
