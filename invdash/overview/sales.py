"""Small pure computations behind the Overview KPIs (no I/O; the SQL lives in ``store.overview``).

Design: the store returns aggregates; this module turns them into what a KPI card or the trend
chart shows (changes between windows, a category-filtered weekly series), so the page does no
arithmetic and the rules are unit-tested.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["percent_change", "weekly_trend", "categories_of"]


def percent_change(current: float | None, previous: float | None) -> float | None:
    """Relative change ``(current - previous) / previous``; None when ``previous`` is 0 or less.

    Example: 110 units this window against 100 before gives ``0.10`` (+10%).

    Args:
        current: the value in the current window (None: unknown).
        previous: the value in the window before (None: unknown).
    """
    if previous is None or current is None or previous <= 0:
        return None
    return (float(current) - float(previous)) / float(previous)


def categories_of(weekly: pd.DataFrame) -> list[str]:
    """Categories present in a ``weekly_sales`` frame, sorted."""
    return sorted(weekly["category"].dropna().unique().tolist())


def weekly_trend(weekly: pd.DataFrame, *, categories: Sequence[str] = ()) -> pd.DataFrame:
    """Total units and revenue per week over the chosen categories (all when none are chosen).

    Args:
        weekly: ``week, category, units, revenue, days`` from ``store.overview.weekly_sales``.
        categories: the categories to keep; empty keeps all.

    Returns:
        ``week, units, revenue, complete`` sorted by week: one row per week present in
        ``weekly`` (zero where the chosen categories sold nothing), ``complete`` False for a week
        with fewer than 7 days of data (a partial first or last week, whose total is not
        comparable with the others).
    """
    days = weekly.groupby("week")["days"].max().sort_index()
    chosen = weekly[weekly["category"].isin(list(categories))] if categories else weekly
    totals = chosen.groupby("week")[["units", "revenue"]].sum().reindex(days.index, fill_value=0.0)
    totals["complete"] = days >= 7
    return totals.rename_axis("week").reset_index()
