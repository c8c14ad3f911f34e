"""Cron time cycles as Zeebe reads them: Spring's six-field cron expressions, in UTC.

A ``timeCycle`` that is not an ISO 8601 repeating interval may be a cron expression (Zeebe
forks Spring 5.3's ``CronExpression``): six fields separated by single spaces,
``second minute hour day-of-month month day-of-week``, or a macro (``@yearly``, ``@annually``,
``@monthly``, ``@weekly``, ``@daily``, ``@midnight``, ``@hourly``). Each field is ``*``, a
number, a range ``a-b``, a step ``*/n``, ``a/n`` or ``a-b/n``, or a comma-separated list of
these; months and days of the week also by their English three-letter names (``JAN``,
``MON``; 0 and 7 are Sunday); ``?`` stands for ``*`` in the day fields. The day of the month
may be ``L`` (last day), ``L-n`` (n days before it), ``LW`` (last weekday) or ``nW`` (the
weekday nearest to day n, within the month); the day of the week ``dL`` (the last such day of
the month) or ``d#n`` (the n-th such day of the month). A day must match both day fields
(Spring's rule, not Vixie cron's "either").

Zeebe computes the next time in the broker's zone; this engine, like a cluster's brokers by
default, in UTC. An expression that never matches (``0 0 0 30 2 *``) fires once, at once, as
Zeebe's does.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import attrs

__all__ = ["CronError", "CronSchedule", "parse_cron"]

_MACROS = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}  # not calendar.month_abbr: that follows the locale
_DAYS = {"MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6, "SUN": 7}
#: How far ahead the next time is looked for (a 29th of February on a given weekday recurs
#: within 28 years, and Spring gives up after 366 roll-overs).
_HORIZON_YEARS = 400

DayRule = Callable[[date], bool]


class CronError(ValueError):
    """A text that is not a cron expression Zeebe accepts."""


@attrs.frozen(eq=False)
class CronSchedule:
    """A parsed cron expression: the values each field allows.

    Attributes:
        text: the expression as written.
        seconds: the seconds (0-59) it fires at.
        minutes: the minutes (0-59).
        hours: the hours (0-23).
        months: the months (1-12).
        day_rules: the day-of-month and day-of-week tests a day must both pass.
    """

    text: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: frozenset[int]
    day_rules: tuple[DayRule, DayRule]

    def matches_day(self, day: date) -> bool:
        """Whether the expression fires (at some time) on this day."""
        return day.month in self.months and all(rule(day) for rule in self.day_rules)

    def matches(self, epoch_ms: int) -> bool:
        """Whether the expression fires at this moment (a whole second, UTC)."""
        if epoch_ms % 1000:
            return False
        moment = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
        return (
            moment.second in self.seconds
            and moment.minute in self.minutes
            and moment.hour in self.hours
            and self.matches_day(moment.date())
        )

    def next_after(self, epoch_ms: int) -> int | None:
        """The first moment strictly after ``epoch_ms`` it fires at, or ``None`` if never."""
        start = datetime.fromtimestamp(epoch_ms // 1000 + 1, tz=timezone.utc)
        day = start.date()
        first = (start.hour, start.minute, start.second)
        last_day = date(min(day.year + _HORIZON_YEARS, 9999), 12, 31)
        while day <= last_day:
            if day.month not in self.months:
                day = _first_of_next_month(day)
                first = (0, 0, 0)
                continue
            if self.matches_day(day):
                found = self._first_time(first)
                if found is not None:
                    hour, minute, second = found
                    moment = datetime(
                        day.year, day.month, day.day, hour, minute, second, tzinfo=timezone.utc
                    )
                    return int(moment.timestamp()) * 1000
            day += timedelta(days=1)
            first = (0, 0, 0)
        return None

    def after(self, epoch_ms: int) -> int:
        """The next firing after one at ``epoch_ms`` (``epoch_ms`` itself if there is none)."""
        found = self.next_after(epoch_ms)
        return epoch_ms if found is None else found

    def _first_time(self, first: tuple[int, int, int]) -> tuple[int, int, int] | None:
        # The earliest (hour, minute, second) of the fields at or after `first`, the same day.
        for hour in self.hours:
            if hour < first[0]:
                continue
            for minute in self.minutes:
                if hour == first[0] and minute < first[1]:
                    continue
                for second in self.seconds:
                    if (hour, minute, second) >= first:
                        return hour, minute, second
        return None


def _first_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def parse_cron(text: str) -> CronSchedule:
    """Parse a cron expression such as ``0 0 9-17 * * MON-FRI`` or ``@daily``.

    Raises:
        CronError: when it is not one (with Spring's reason).
    """
    trimmed = text.strip()
    if not trimmed:
        msg = "Expression string must not be empty"
        raise CronError(msg)
    resolved = _MACROS.get(trimmed.lower(), trimmed)
    fields = resolved.split(" ")
    if len(fields) != 6:
        msg = f'Cron expression must consist of 6 fields (found {len(fields)} in "{text}")'
        raise CronError(msg)
    try:
        seconds = _numbers(fields[0], 0, 59, {})
        minutes = _numbers(fields[1], 0, 59, {})
        hours = _numbers(fields[2], 0, 23, {})
        day_of_month = _day_of_month_rule(fields[3])
        months = _numbers(fields[4], 1, 12, _MONTHS)
        day_of_week = _day_of_week_rule(fields[5])
    except CronError as exc:
        msg = f'{exc} in cron expression "{text}"'
        raise CronError(msg) from None
    return CronSchedule(
        text=text,
        seconds=tuple(sorted(seconds)),
        minutes=tuple(sorted(minutes)),
        hours=tuple(sorted(hours)),
        months=frozenset(months),
        day_rules=(day_of_month, day_of_week),
    )


def _number(text: str, names: dict[str, int]) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        msg = f"Invalid value '{text}'"
        raise CronError(msg)
    return int(text)


def _numbers(field: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    # '*', 'n', 'a-b', '*/n', 'a/n', 'a-b/n', and comma-separated lists of them.
    values: set[int] = set()
    for part in field.split(","):
        if not part:
            msg = f"Empty value in field '{field}'"
            raise CronError(msg)
        body, _, step_text = part.partition("/")
        step = 1
        if step_text or part.endswith("/"):
            if not step_text.isdigit() or int(step_text) == 0:
                msg = f"Incrementer delta must be 1 or higher in '{part}'"
                raise CronError(msg)
            step = int(step_text)
        if body == "*":
            first, last = low, high
        elif "-" in body:
            start_text, _, end_text = body.partition("-")
            first, last = _number(start_text, names), _number(end_text, names)
        else:
            first = _number(body, names)
            last = high if step_text else first
        for value in (first, last):
            if not low <= value <= high:
                msg = f"Value {value} out of range [{low}, {high}] in '{part}'"
                raise CronError(msg)
        if first > last:
            msg = f"Invalid range '{part}'"
            raise CronError(msg)
        values.update(range(first, last + 1, step))
    return values


def _any_rule(rules: list[DayRule]) -> DayRule:
    if len(rules) == 1:
        return rules[0]
    return lambda day: any(rule(day) for rule in rules)


def _day_of_month_rule(field: str) -> DayRule:
    field = field.replace("?", "*")
    if field == "*":
        return lambda day: True
    rules: list[DayRule] = []
    plain: list[str] = []
    for part in field.split(","):
        if "L" in part or "W" in part:
            rules.append(_quartz_day_of_month(part))
        else:
            plain.append(part)
    if plain:
        days = frozenset(_numbers(",".join(plain), 1, 31, {}))
        rules.append(lambda day: day.day in days)
    return _any_rule(rules)


def _last_day(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _quartz_day_of_month(part: str) -> DayRule:
    if part.startswith("L"):
        if part == "L":
            return lambda day: day.day == _last_day(day)
        if part == "LW":
            return lambda day: day.day == _nearest_weekday(day, _last_day(day), backwards=True)
        offset_text = part[1:]
        if not offset_text.startswith("-") or not offset_text[1:].isdigit():
            msg = f"Invalid value '{part}'"
            raise CronError(msg)
        offset = int(offset_text[1:])
        if offset == 0:
            msg = f"Offset '0' should be < 0 '{part}'"
            raise CronError(msg)
        return lambda day: day.day == _last_day(day) - offset
    if "L" in part:
        msg = f"Unrecognized characters before 'L' in '{part}'"
        raise CronError(msg)
    if not part.endswith("W") or part.count("W") != 1:
        msg = f"Unrecognized characters after 'W' in '{part}'"
        raise CronError(msg)
    if part == "W":
        msg = f"No day-of-month before 'W' in '{part}'"
        raise CronError(msg)
    target = _number(part[:-1], {})
    if not 1 <= target <= 31:
        msg = f"Value {target} out of range [1, 31] in '{part}'"
        raise CronError(msg)
    return lambda day: target <= _last_day(day) and day.day == _nearest_weekday(day, target)


def _nearest_weekday(day: date, target: int, *, backwards: bool = False) -> int:
    # The weekday nearest to the target day of this month (Saturday: the Friday before, or the
    # Monday after the 1st; Sunday: the Monday after, or the Friday before the month's last day).
    weekday = date(day.year, day.month, target).isoweekday()
    last = _last_day(day)
    if weekday == 6:
        return target + 2 if target == 1 else target - 1
    if weekday == 7:
        return target - 2 if backwards or target == last else target + 1
    return target


def _day_of_week_rule(field: str) -> DayRule:
    field = field.replace("?", "*")
    if field == "*":
        return lambda day: True
    rules: list[DayRule] = []
    plain: list[str] = []
    for part in field.split(","):
        if "L" in part.upper() or "#" in part:  # no day's name has an L
            rules.append(_quartz_day_of_week(part))
        else:
            plain.append(part)
    if plain:
        days = frozenset(
            7 if value == 0 else value for value in _numbers(",".join(plain), 0, 7, _DAYS)
        )
        rules.append(lambda day: day.isoweekday() in days)
    return _any_rule(rules)


def _weekday(text: str, part: str) -> int:
    value = _number(text, _DAYS)
    if not 0 <= value <= 7:
        msg = f"Invalid value for DayOfWeek: {value} '{part}'"
        raise CronError(msg)
    return 7 if value == 0 else value


def _quartz_day_of_week(part: str) -> DayRule:
    if part.upper().endswith("L"):
        if len(part) == 1:
            msg = f"No day-of-week before 'L' in '{part}'"
            raise CronError(msg)
        weekday = _weekday(part[:-1], part)
        return lambda day: day.isoweekday() == weekday and day.day + 7 > _last_day(day)
    if "L" in part.upper():
        msg = f"Unrecognized characters after 'L' in '{part}'"
        raise CronError(msg)
    weekday_text, _, ordinal_text = part.partition("#")
    if not weekday_text:
        msg = f"No day-of-week before '#' in '{part}'"
        raise CronError(msg)
    if not ordinal_text:
        msg = f"No ordinal after '#' in '{part}'"
        raise CronError(msg)
    weekday = _weekday(weekday_text, part)
    if not ordinal_text.isdigit() or int(ordinal_text) <= 0:
        msg = f"Ordinal '{ordinal_text}' in '{part}' must be positive number"
        raise CronError(msg)
    ordinal = int(ordinal_text)
    return lambda day: day.isoweekday() == weekday and (day.day - 1) // 7 + 1 == ordinal
