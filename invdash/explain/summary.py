"""One sentence per explanation: the drivers that move the forecast most, in words."""

from __future__ import annotations

import pandas as pd

from invdash.explain.drivers import Explanation

__all__ = ["summarise"]


def summarise(explanation: Explanation, *, day: pd.Timestamp | None = None, top: int = 2) -> str:
    """One plain-language line: the largest drivers of a day (or of the horizon total)."""
    if day is None:
        values = explanation.contributions.sum(axis=0)
        when, total = "over the horizon", explanation.forecast.sum()
    else:
        values = explanation.contributions.loc[pd.Timestamp(day)]
        when, total = (
            f"on {pd.Timestamp(day):%d %b}",
            explanation.contributions.loc[pd.Timestamp(day)].sum()
            + explanation.base_value[explanation.dates.get_loc(pd.Timestamp(day))],
        )
    ranked = values.reindex(values.abs().sort_values(ascending=False).index)[:top]
    parts = [
        f"{driver} {'adds' if value >= 0 else 'takes'} {abs(value):.0f} units"
        + ("" if value >= 0 else " off")
        for driver, value in ranked.items()
        if abs(value) >= 0.5
    ]
    head = f"Forecast {when}: {total:.0f} units"
    return head + ("; " + "; ".join(parts) if parts else "; no single driver stands out") + "."
