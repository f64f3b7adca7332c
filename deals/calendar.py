"""Business days: the mainland China calendar (public holidays and the adjusted working days, 调休) from
the maintained `chinese-calendar` package, or weekends only, plus a deal's own extra holidays and
working days where its contract says so.

Why a package and not a list: the State Council publishes each year's holidays in the autumn before;
`chinese-calendar` carries every published year since 2004 and is updated when a new notice appears, so
upgrading it is how a server learns the next year.

A year the package does not know yet (at 1.11.0: after 2026) is never guessed silently: a date in it is
`provisional` — adjusted for weekends only and flagged so — and a posting that depends on a provisional
payment date is refused (deals.steps; docs/deals.md "Dates"). Extra days named by the deal are known in
any year, and a WEEKENDS_ONLY calendar covers every year by definition.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from dataclasses import dataclass

import chinese_calendar

__all__ = ["CN_MAINLAND", "LEGACY_CALENDAR", "BusinessCalendar", "CalendarKind", "covered_years"]


class CalendarKind(enum.Enum):
    CN_MAINLAND = "cn_mainland"
    WEEKENDS_ONLY = "weekends_only"


@functools.cache
def covered_years() -> tuple[int, int]:
    """The first and last year the installed mainland China calendar knows."""
    known = [*chinese_calendar.holidays, *chinese_calendar.workdays]
    return min(d.year for d in known), max(d.year for d in known)


@functools.lru_cache(maxsize=1 << 16)
def _cn_workday(day: dt.date) -> bool:
    """`chinese_calendar.is_workday`, remembered: it validates each date against the min and max of its
    holiday tables (about 40 µs a call), and schedules and arrears ask for the same few hundred days
    again and again (docs/performance.md, "Issue 20: month-end close")."""
    return bool(chinese_calendar.is_workday(day))


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Which days are business days for a deal: a base calendar and the contract's own exceptions."""

    kind: CalendarKind = CalendarKind.CN_MAINLAND
    extra_holidays: tuple[dt.date, ...] = ()
    extra_working_days: tuple[dt.date, ...] = ()

    def knows(self, day: dt.date) -> bool:
        """Whether `day` is known for certain (not `provisional`)."""
        if self.kind is CalendarKind.WEEKENDS_ONLY or day in self.extra_holidays or day in self.extra_working_days:
            return True
        first, last = covered_years()
        return first <= day.year <= last

    def is_business_day(self, day: dt.date) -> bool:
        """A working day. Where the calendar does not know the year, weekends only (see `knows`)."""
        if day in self.extra_working_days:
            return True
        if day in self.extra_holidays:
            return False
        if self.kind is CalendarKind.CN_MAINLAND and self.knows(day):
            return _cn_workday(day)
        return day.weekday() < 5

    def following(self, day: dt.date) -> dt.date:
        """The first business day on or after `day`."""
        while not self.is_business_day(day):
            day += dt.timedelta(days=1)
        return day

    def preceding(self, day: dt.date) -> dt.date:
        """The last business day on or before `day`."""
        while not self.is_business_day(day):
            day -= dt.timedelta(days=1)
        return day


#: The default: mainland China, no exceptions.
CN_MAINLAND = BusinessCalendar()

#: The calendar of deals booked before calendars existed: their schedules were adjusted for weekends
#: only, and a stored deal's schedule never changes.
LEGACY_CALENDAR = BusinessCalendar(CalendarKind.WEEKENDS_ONLY)
