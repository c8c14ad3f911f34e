"""ISO 8601 timer values as Zeebe reads them: durations, dates and repeating cycles.

- a **duration** (``timeDuration``): ``PT10M``, ``P1D``, ``P1Y2M3DT4H5M6.5S``, ``-PT1S``; years
  and months are calendar months (``P1M`` from January 31st is the end of February), weeks
  (``P2W``) are 14 days;
- a **date** (``timeDate``): ``2030-01-01T09:00:00Z``, with an offset (``+02:00``), a zone
  (``2030-01-01T09:00:00+01:00[Europe/Berlin]`` or without offset), or a date alone
  (``2030-01-01``: midnight UTC);
- a **cycle** (``timeCycle``): ``R3/PT10M`` (3 times, every 10 minutes), ``R/PT1H`` (for ever),
  ``R2/2030-01-01T09:00:00Z/P1D`` (from a start date), or a cron expression
  (``0 0 9-17 * * MON-FRI``, ``@daily``: see :mod:`.cron`), which repeats for ever.

Everything is computed in epoch milliseconds from a given "now", so the engine's clock (a
``ManualClock`` in tests) drives every timer.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from camunda_worker.engine._model.cron import CronError, CronSchedule, parse_cron

__all__ = [
    "Cycle",
    "Duration",
    "TimerValueError",
    "check_timer_value",
    "parse_cycle",
    "parse_date",
    "parse_duration",
]

_DURATION = re.compile(
    r"^(?P<sign>[-+])?P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?"
    r"(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$"
)
_ZONE = re.compile(r"^(?P<stamp>[^\[]+)\[(?P<zone>[^\]]+)\]$")


class TimerValueError(ValueError):
    """A timer value that is not a duration, date or cycle Zeebe accepts."""


@attrs.frozen
class Duration:
    """An ISO 8601 duration: calendar months plus an exact number of milliseconds."""

    months: int
    millis: int

    def after(self, now_ms: int) -> int:
        """The epoch milliseconds this duration after ``now_ms``."""
        if not self.months:
            return now_ms + self.millis
        moment = datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc)
        month_index = moment.month - 1 + self.months
        year = moment.year + month_index // 12
        month = month_index % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        shifted = moment.replace(year=year, month=month, day=day)
        return int(shifted.timestamp() * 1000) + self.millis


@attrs.frozen
class Cycle:
    """A repeating cycle.

    Attributes:
        repetitions: how many times it fires (``None``: for ever).
        interval: the time between two firings, or the cron schedule of a cron cycle (both
            tell, with ``after``, when the firing after one at a given time is).
        start_ms: when it first fires, if it has a start date (else one interval from now).
    """

    repetitions: int | None
    interval: Duration | CronSchedule
    start_ms: int | None = None

    def first_after(self, now_ms: int) -> int:
        """When the cycle first fires, armed at ``now_ms``."""
        if self.start_ms is not None:
            return self.start_ms
        return self.interval.after(now_ms)


def parse_duration(text: str) -> Duration:
    """Parse an ISO 8601 duration such as ``PT10M`` or ``P1DT12H``."""
    match = _DURATION.match(text.strip())
    if match is None or text.strip() in ("P", "PT", "-P", "+P") or text.strip().endswith("T"):
        msg = f"Invalid duration format '{text}'"
        raise TimerValueError(msg)
    parts = {name: value for name, value in match.groupdict().items() if value is not None}
    sign = -1 if parts.pop("sign", "+") == "-" else 1
    months = int(parts.get("years", 0)) * 12 + int(parts.get("months", 0))
    days = int(parts.get("weeks", 0)) * 7 + int(parts.get("days", 0))
    seconds = float(parts.get("seconds", "0").replace(",", "."))
    millis = round(
        (days * 86_400 + int(parts.get("hours", 0)) * 3600 + int(parts.get("minutes", 0)) * 60)
        * 1000
        + seconds * 1000
    )
    return Duration(sign * months, sign * millis)


def parse_date(text: str) -> int:
    """Parse an ISO 8601 date-time (or date) into epoch milliseconds."""
    value = text.strip()
    zone = None
    zoned = _ZONE.match(value)
    if zoned is not None:
        value = zoned.group("stamp")
        try:
            zone = ZoneInfo(zoned.group("zone"))
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"Invalid date-time format '{text}'"
            raise TimerValueError(msg) from None
    try:
        if value[-1:] in ("Z", "z"):
            value = value[:-1] + "+00:00"  # Python 3.10 reads no 'Z'
        moment = datetime.fromisoformat(value)
    except ValueError:
        msg = f"Invalid date-time format '{text}'"
        raise TimerValueError(msg) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or timezone.utc)
    elif zone is not None:
        moment = moment.astimezone(zone)
    return int(moment.timestamp() * 1000)


def parse_cycle(text: str) -> Cycle:
    """Parse an ISO 8601 repeating interval such as ``R3/PT10M``, or a cron expression.

    A cron cycle repeats for ever; one that never matches fires once, at once (Zeebe's rule).
    """
    value = text.strip()
    parts = value.split("/")
    if not parts[0].startswith("R") or len(parts) not in (2, 3):
        # Zeebe reads what is not a repeating interval as a cron expression.
        try:
            schedule = parse_cron(value)
        except CronError as exc:
            msg = f"Invalid time cycle format '{text}': {exc}"
            raise TimerValueError(msg) from None
        return Cycle(None, schedule)
    count = parts[0][1:]
    if count and not count.isdigit():
        msg = f"Invalid time cycle format '{text}'"
        raise TimerValueError(msg)
    repetitions = int(count) if count else None
    start_ms = parse_date(parts[1]) if len(parts) == 3 else None
    interval = parse_duration(parts[-1])
    if interval.months == 0 and interval.millis <= 0:
        msg = f"Invalid time cycle format '{text}': the interval must be positive"
        raise TimerValueError(msg)
    return Cycle(repetitions, interval, start_ms)


def check_timer_value(kind: str, text: str) -> None:
    """Check a static ``timeDuration``, ``timeDate`` or ``timeCycle`` value.

    Raises:
        TimerValueError: when it is not one.
    """
    if kind == "timeDuration":
        parse_duration(text)
    elif kind == "timeDate":
        parse_date(text)
    else:
        parse_cycle(text)
