"""Maintenance windows and exclusions as GKE accepts them.

Source: https://cloud.google.com/kubernetes-engine/docs/concepts/maintenance-windows-and-exclusions
and https://cloud.google.com/kubernetes-engine/docs/how-to/maintenance-windows-and-exclusions
("You must allow at least 48 hours of maintenance availability in a 32-day rolling window.
Only contiguous availability windows of at least four hours are considered.").

Availability is the recurring window minus `NO_UPGRADES` exclusions (the narrower scopes
still let patch upgrades through), in stretches of at least four hours; the worst 32-day
window must hold 48 hours. servestack reads FREQ=DAILY and FREQ=WEEKLY rules (with BYDAY and
INTERVAL), the forms GKE's examples use; other rules are rejected rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from infra.gke import Violation

DOCS = "https://cloud.google.com/kubernetes-engine/docs/concepts/maintenance-windows-and-exclusions"
ROLLING_WINDOW = timedelta(days=32)
MIN_AVAILABILITY = timedelta(hours=48)
MIN_STRETCH = timedelta(hours=4)
# Exclusion limits from the same page.
MAX_EXCLUSIONS = 20
MAX_NO_UPGRADES_EXCLUSIONS = 3
MAX_NO_UPGRADES_LENGTH = timedelta(days=30)
MAX_MINOR_SCOPE_LENGTH = timedelta(days=180)
NO_UPGRADES = "NO_UPGRADES"
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Exclusion:
    start: datetime
    end: datetime
    scope: str


@dataclass(frozen=True)
class Recurrence:
    """A parsed DAILY/WEEKLY RRULE: every `interval` days or weeks, on `days` (0 = Monday)."""

    freq: str
    interval: int
    days: tuple[int, ...]


def parse_recurrence(rule: str, start: datetime | None = None) -> Recurrence:
    """FREQ=DAILY|WEEKLY with optional INTERVAL and BYDAY; ValueError for anything else.

    Without BYDAY a WEEKLY rule recurs on the start's weekday only: RFC 5545 §3.3.10 takes
    every part a rule leaves out from DTSTART.
    """
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    unknown = sorted(set(parts) - {"FREQ", "INTERVAL", "BYDAY"})
    freq = parts.get("FREQ", "")
    if freq not in ("DAILY", "WEEKLY") or unknown:
        raise ValueError(
            "servestack checks FREQ=DAILY or FREQ=WEEKLY rules with BYDAY/INTERVAL only "
            f"(got {rule!r})"
        )
    interval = int(parts.get("INTERVAL", "1"))
    if interval < 1:
        raise ValueError(f"INTERVAL must be at least 1 (got {rule!r})")
    days: tuple[int, ...] = tuple(range(7))
    if freq == "WEEKLY" and "BYDAY" not in parts:
        if start is None:
            raise ValueError(f"a WEEKLY rule without BYDAY needs its start time (got {rule!r})")
        days = (start.weekday(),)
    if "BYDAY" in parts:
        names = parts["BYDAY"].split(",")
        if any(n not in _DAYS for n in names):
            raise ValueError(f"BYDAY takes MO,TU,WE,TH,FR,SA,SU (got {parts['BYDAY']!r})")
        days = tuple(sorted({_DAYS.index(n) for n in names}))
    return Recurrence(freq, interval, days)


def occurrences(
    start: datetime, end: datetime, rule: Recurrence, until: datetime
) -> list[Interval]:
    """Every window from `start` until `until`, each as long as the first."""
    length = end - start
    out: list[Interval] = []
    day = start
    while day < until:
        offset = (day.date() - start.date()).days
        if rule.freq == "DAILY":
            due = offset % rule.interval == 0 and day.weekday() in rule.days
        else:
            week = (offset + start.weekday()) // 7
            due = week % rule.interval == 0 and day.weekday() in rule.days
        if due:
            out.append((day, day + length))
        day += timedelta(days=1)
    return out


def _merge(intervals: Sequence[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for begin, finish in sorted(intervals):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def _subtract(intervals: Sequence[Interval], holes: Sequence[Interval]) -> list[Interval]:
    out = list(intervals)
    for hole_start, hole_end in holes:
        step: list[Interval] = []
        for begin, finish in out:
            if finish <= hole_start or begin >= hole_end:
                step.append((begin, finish))
                continue
            if begin < hole_start:
                step.append((begin, hole_start))
            if finish > hole_end:
                step.append((hole_end, finish))
        out = step
    return out


def _horizon(start: datetime, rule: Recurrence, exclusions: Sequence[Exclusion]) -> datetime:
    """Far enough that every window start up to one period past the exclusions is judged."""
    last = max([start, *(e.end for e in exclusions)])
    period = timedelta(days=rule.interval * (7 if rule.freq == "WEEKLY" else 1))
    return last + ROLLING_WINDOW + period


def availability(
    start: datetime, end: datetime, recurrence: str, exclusions: Sequence[Exclusion] = ()
) -> list[Interval]:
    """Stretches of at least four hours in which GKE may upgrade, up to the horizon."""
    rule = parse_recurrence(recurrence, start)
    until = _horizon(start, rule, exclusions) + (end - start)
    windows = _merge(occurrences(start, end, rule, until))
    blocked = [(e.start, e.end) for e in exclusions if e.scope == NO_UPGRADES]
    open_ = _subtract(windows, blocked)
    return [(b, f) for b, f in open_ if f - b >= MIN_STRETCH]


def worst_window(stretches: Sequence[Interval], start: datetime, until: datetime) -> timedelta:
    """Least availability in any 32-day window starting in [start, until - 32 days].

    The total is piecewise linear in the window's start, so its minimum lies where an edge
    of the window meets an edge of a stretch.
    """
    last_start = until - ROLLING_WINDOW
    candidates = {start, last_start}
    for begin, finish in stretches:
        for edge in (begin, finish, begin - ROLLING_WINDOW, finish - ROLLING_WINDOW):
            if start <= edge <= last_start:
                candidates.add(edge)

    def total(at: datetime) -> timedelta:
        stop = at + ROLLING_WINDOW
        return sum(
            (min(f, stop) - max(b, at) for b, f in stretches if f > at and b < stop),
            timedelta(),
        )

    return min(total(c) for c in candidates)


def worst_availability(
    start: datetime, end: datetime, recurrence: str, exclusions: Sequence[Exclusion] = ()
) -> timedelta:
    """Least availability in any 32-day window from the first window on."""
    stretches = availability(start, end, recurrence, exclusions)
    horizon = _horizon(start, parse_recurrence(recurrence, start), exclusions)
    return worst_window(stretches, start, horizon)


def check_window(
    start: datetime, end: datetime, recurrence: str, exclusions: Sequence[Exclusion] = ()
) -> list[Violation]:
    """The 48-hours-in-32-days rule, plus the exclusion count, length and scope limits."""
    found = check_exclusions(exclusions)
    try:
        worst = worst_availability(start, end, recurrence, exclusions)
    except ValueError as error:
        return [*found, Violation("recurrence", str(error))]
    if worst < MIN_AVAILABILITY:
        hours = worst.total_seconds() / 3600
        found.append(
            Violation(
                "recurrence",
                f"leaves {hours:g} h of maintenance availability in the worst 32-day window "
                "(stretches of at least 4 h); GKE requires at least 48 h "
                f"({DOCS})",
            )
        )
    return found


def check_exclusions(exclusions: Sequence[Exclusion]) -> list[Violation]:
    """How many exclusions, of which scope, and how long each may be."""
    found: list[Violation] = []
    if len(exclusions) > MAX_EXCLUSIONS:
        found.append(
            Violation("exclusions", f"{len(exclusions)} exclusions; GKE allows {MAX_EXCLUSIONS}")
        )
    no_upgrades = [e for e in exclusions if e.scope == NO_UPGRADES]
    if len(no_upgrades) > MAX_NO_UPGRADES_EXCLUSIONS:
        found.append(
            Violation(
                "exclusions",
                f"{len(no_upgrades)} NO_UPGRADES exclusions; GKE allows "
                f"{MAX_NO_UPGRADES_EXCLUSIONS}",
            )
        )
    for index, exclusion in enumerate(exclusions):
        limit = MAX_NO_UPGRADES_LENGTH if exclusion.scope == NO_UPGRADES else MAX_MINOR_SCOPE_LENGTH
        if exclusion.end - exclusion.start > limit:
            found.append(
                Violation(
                    f"exclusions[{index}].end",
                    f"a {exclusion.scope} exclusion lasts at most {limit.days} days "
                    f"(got {(exclusion.end - exclusion.start).days} days)",
                )
            )
    return found
