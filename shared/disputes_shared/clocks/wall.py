"""Time as a dependency, so that tests control it and nothing sleeps for days."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


class CompressedClock:
    """Time compressed for a demonstration (``disputes city-year``): from ``origin`` (a Unix
    time), every real second is ``factor`` seconds, counted from ``start``. Every service of a
    platform is given the same figures, so they share one compressed time; statutory clocks run
    out as fast. ``origin`` may be a file that is written once every service is up: until then
    the clock stands at ``start``. Never for a production deployment (``clock_of`` refuses it)."""

    def __init__(self, start: datetime, factor: float, origin: float | str) -> None:
        if start.tzinfo is None or factor < 1:
            raise ValueError("a compressed clock needs a start with its zone and a factor of 1 or more")
        self.start, self.factor = start, factor
        self.origin_file = origin if isinstance(origin, str) else None
        self.origin = None if isinstance(origin, str) else origin

    def now(self) -> datetime:
        import time

        if self.origin is None and self.origin_file is not None:
            try:
                with open(self.origin_file, encoding="ascii") as given:
                    self.origin = float(given.read())
            except (FileNotFoundError, ValueError):
                return self.start  # not started yet (or being written)
        assert self.origin is not None
        return self.start + timedelta(seconds=(time.time() - self.origin) * self.factor)

    def setting(self) -> str:
        """As ``DISPUTES_COMPRESSED_CLOCK`` gives it to the services."""
        return f"{self.start.isoformat()},{self.factor},{self.origin_file or self.origin}"


def clock_of(config: Mapping[str, Any]) -> Clock:
    """The service's clock: the system's, or a compressed one (``COMPRESSED_CLOCK``:
    ``START,FACTOR,ORIGIN``, the origin a Unix time or a file to hold it) outside production."""
    setting = config.get("COMPRESSED_CLOCK") or ""
    if not setting:
        return SystemClock()
    if config.get("DEPLOYMENT") == "production":
        raise ValueError("a production deployment runs on the system clock, never a compressed one")
    try:
        start, factor, origin = setting.split(",")
        given: float | str = float(origin) if origin.replace(".", "", 1).isdigit() else origin
        return CompressedClock(datetime.fromisoformat(start), float(factor), given)
    except ValueError as exc:
        raise ValueError(f"COMPRESSED_CLOCK must be START,FACTOR,ORIGIN: {exc}") from None
