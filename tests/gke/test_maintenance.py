"""The 48-hours-in-32-days rule, computed over the worst rolling window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infra.gke.maintenance import (
    Exclusion,
    check_exclusions,
    check_window,
    parse_recurrence,
    worst_availability,
)

MONDAY = datetime(2026, 1, 5, 1, tzinfo=UTC)


def _worst(hours: float, rule: str, exclusions: tuple[Exclusion, ...] = ()) -> float:
    end = MONDAY + timedelta(hours=hours)
    return worst_availability(MONDAY, end, rule, exclusions).total_seconds() / 3600


def test_two_weekly_four_hour_windows_leave_32_hours_at_worst() -> None:
    # 4 full weeks (32 h) plus 4 days that can fall on WE-SA: nothing more.
    assert _worst(4, "FREQ=WEEKLY;BYDAY=MO,TU") == 32
    (violation,) = check_window(MONDAY, MONDAY + timedelta(hours=4), "FREQ=WEEKLY;BYDAY=MO,TU")
    assert violation.path == "recurrence"
    assert "32 h" in violation.message


def test_four_weekday_windows_pass() -> None:
    # 4 whole weeks (64 h) plus 4 days, which always hold one of the four windows.
    assert _worst(4, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH") == 68
    assert check_window(MONDAY, MONDAY + timedelta(hours=4), "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH") == []


def test_stretches_under_four_hours_do_not_count() -> None:
    assert _worst(3, "FREQ=DAILY") == 0
    assert _worst(4, "FREQ=DAILY") == 128


def test_no_upgrades_exclusion_eats_into_availability_other_scopes_do_not() -> None:
    freeze = (MONDAY + timedelta(days=1), MONDAY + timedelta(days=29))
    blocked = Exclusion(*freeze, "NO_UPGRADES")
    minor = Exclusion(*freeze, "NO_MINOR_UPGRADES")
    assert _worst(6, "FREQ=WEEKLY;BYDAY=SA,SU", (blocked,)) < 48
    assert _worst(6, "FREQ=WEEKLY;BYDAY=SA,SU", (minor,)) == _worst(6, "FREQ=WEEKLY;BYDAY=SA,SU")


def test_biweekly_interval_halves_availability() -> None:
    weekly = _worst(8, "FREQ=WEEKLY;BYDAY=SA,SU")
    assert _worst(8, "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU") < weekly


@pytest.mark.parametrize("rule", ["FREQ=MONTHLY;BYMONTHDAY=1", "FREQ=WEEKLY;BYDAY=XX", "RRULE"])
def test_unsupported_rules_are_rejected_not_guessed(rule: str) -> None:
    with pytest.raises(ValueError):
        parse_recurrence(rule)


def test_exclusion_limits() -> None:
    day = timedelta(days=1)
    long_freeze = Exclusion(MONDAY, MONDAY + 31 * day, "NO_UPGRADES")
    (violation,) = check_exclusions([long_freeze])
    assert violation.path == "exclusions[0].end"
    assert "at most 30 days" in violation.message
    minor = Exclusion(MONDAY, MONDAY + 181 * day, "NO_MINOR_UPGRADES")
    assert check_exclusions([minor])[0].message.startswith("a NO_MINOR_UPGRADES exclusion")
    four = [
        Exclusion(MONDAY + i * 2 * day, MONDAY + (i * 2 + 1) * day, "NO_UPGRADES") for i in range(4)
    ]
    assert [v.message for v in check_exclusions(four)] == ["4 NO_UPGRADES exclusions; GKE allows 3"]
    many = [Exclusion(MONDAY, MONDAY + day, "NO_MINOR_UPGRADES")] * 21
    assert check_exclusions(many)[0].message == "21 exclusions; GKE allows 20"


@pytest.mark.parametrize(
    "days",
    [{"MO"}, {"SA", "SU"}, {"MO", "WE", "FR"}, {"TU", "TH", "SU"}, {"MO", "TU", "WE", "TH", "FR"}],
)
@pytest.mark.parametrize("hours", [3, 4, 5, 11])
def test_worst_window_is_bounded_by_whole_weeks(days: set[str], hours: int) -> None:
    """Any 32-day window holds 4 whole weeks and at most 5 of each weekday's window."""
    rule = "FREQ=WEEKLY;BYDAY=" + ",".join(sorted(days))
    worst = _worst(hours, rule)
    per_week = len(days) * hours if hours >= 4 else 0
    assert 4 * per_week <= worst <= 5 * per_week


def test_weekly_without_byday_recurs_on_the_start_weekday_only() -> None:
    """RFC 5545 §3.3.10: a part the rule leaves out comes from the start (here Saturday)."""
    saturday = datetime(2026, 1, 3, 2, tzinfo=UTC)
    bare = worst_availability(saturday, saturday + timedelta(hours=4), "FREQ=WEEKLY")
    explicit = worst_availability(saturday, saturday + timedelta(hours=4), "FREQ=WEEKLY;BYDAY=SA")
    assert bare == explicit == timedelta(hours=16)
