"""Time and the reporting calendar: the committee's local clock, periods, their ends and deadlines.

Every "today", "now", period end and report deadline in the project comes from here, so a page, the
engine, the audit log and the command line never disagree about the date (times are naive local times of
`reports.timezone`, docs/decisions.md "Storage").
"""
from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from core.config import load_config

PERIODS = ("Q1", "Q2", "Q3", "Q4", "Y")
# SQL ranking a period column: quarters 1–4, the annual report last (it supersedes them)
PERIOD_RANK_SQL = "CASE {c} WHEN 'Q1' THEN 1 WHEN 'Q2' THEN 2 WHEN 'Q3' THEN 3 WHEN 'Q4' THEN 4 ELSE 5 END"


def _zone() -> ZoneInfo:
    return ZoneInfo(load_config().timezone)


def now_local() -> dt.datetime:
    """Now as a naive local time of the configured timezone, to the second."""
    return dt.datetime.now(_zone()).replace(tzinfo=None, microsecond=0)


def today() -> dt.date:
    """Today in the configured timezone (the default as-of date)."""
    return dt.datetime.now(_zone()).date()


def to_local(moment: dt.datetime | None) -> dt.datetime:
    """A naive local time of the configured timezone: aware times are converted, naive ones are taken as
    local already, None is now."""
    if moment is None:
        return now_local()
    if moment.tzinfo is not None:
        return moment.astimezone(_zone()).replace(tzinfo=None)
    return moment


def month_end(year: int, month: int) -> dt.date:
    """The last day of a month."""
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def period_end(year: int, period: str) -> dt.date:
    """The last day of a reporting period: Qn ends with its third month, Y on 31 December."""
    if period == "Y":
        return dt.date(year, 12, 31)
    return month_end(year, 3 * int(period[1]))


def report_deadline(year: int, period: str, deadline_days: int | None = None) -> dt.date:
    """The last day a report of the period counts as on time (the whole day counts)."""
    days = load_config().deadline_days if deadline_days is None else deadline_days
    return period_end(year, period) + dt.timedelta(days=days)


def same_day_last_year(day: dt.date) -> dt.date:
    """The same calendar day one year earlier (29 February becomes 28 February): the as-of date of the
    same period last year, so a comparison sees what was known at the same point of that year."""
    return day.replace(year=day.year - 1, day=min(day.day, calendar.monthrange(day.year - 1, day.month)[1]))
