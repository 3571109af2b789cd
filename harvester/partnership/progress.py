"""Goal arithmetic: on or off track on a straight line from the baseline to the deadline."""

from __future__ import annotations

from datetime import date

from harvester.partnership.model import Progress


def elapsed(baseline: date, deadline: date, as_of: date) -> float:
    """The share (0–1) of the period from ``baseline`` to ``deadline`` gone by ``as_of``."""
    total = (deadline - baseline).days
    if total <= 0:
        return 1.0
    return min(1.0, max(0.0, (as_of - baseline).days / total))


def count_progress(
    value: int, target: int | None, deadline: date | None, baseline: date, as_of: date
) -> Progress:
    """``met`` once ``value`` reaches ``target``; before the deadline ``on_track`` while at or
    above the straight line, else ``off_track``; after it, ``missed``."""
    if target is None or deadline is None:
        return Progress(status="no_target")
    expected = round(target * elapsed(baseline, deadline, as_of), 2)
    if value >= target:
        status = "met"
    elif as_of >= deadline:
        status = "missed"
    else:
        status = "on_track" if value >= expected else "off_track"
    return Progress(status=status, target=target, deadline=deadline, expected=expected)


def share_progress(
    share: float | None, target: float | None, deadline: date | None, as_of: date
) -> Progress:
    """A share is ``on_track``/``off_track`` against its target until the deadline, then
    ``met``/``missed``; ``no_data`` when nothing is counted yet."""
    if target is None or deadline is None:
        return Progress(status="no_target" if share is not None else "no_data")
    if share is None:
        return Progress(status="no_data", target=target, deadline=deadline)
    reached = share >= target
    if as_of >= deadline:
        status = "met" if reached else "missed"
    else:
        status = "on_track" if reached else "off_track"
    return Progress(status=status, target=target, deadline=deadline, expected=target)
