"""The demand-shift window of a forecast run, computed once with the policy run and stored.

Design (branch h-fp, issue 13): the Alerts' demand-shift check compares the last
``RECENT_DAYS`` of sales with the forecast's central 90 % range for its first ``RECENT_DAYS``
days (normal approximation of the sum of the gamma days). That range needs a gamma fit of every
forecast day (``policy.demand.daily_demand``): about 10 s at 100,000 SKUs. ``store_window``
computes it when a policy run is stored (``reorder.runs``) into ``shift_windows``
(``store/shift_windows.py``), so the Alerts page reads one row per SKU; ``window_for`` computes
a run without a stored window (an older file) live, the same numbers. It stores the Alerts'
recent sales and stock counts too (``store.windows.recent_inputs``, keyed by the data). This
module imports the policy maths (scipy) only when it computes, so a page's stored path stays
light.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from invdash import policy  # names import on first use: reading a stored window needs no scipy
from invdash.schema import SKU
from invdash.store import shift_windows, windows

__all__ = ["RECENT_DAYS", "shift_window", "window_for", "store_window"]

#: The demand-shift window (days). The checks look at no more than these days of sales and of the
#: forecast, so only those are read (``store.windows``): the same alerts, about 1 % of the rows.
RECENT_DAYS = 7
_Z90 = 1.6449


def shift_window(forecasts: pd.DataFrame, recent_days: int) -> pd.DataFrame:
    """Per SKU: the ``expected`` units over its first ``recent_days`` forecast days and the
    half-width ``spread`` of their central 90 % interval (``sku, expected, spread``)."""
    daily = policy.daily_demand(forecasts)
    days = np.minimum(recent_days, daily.horizon)
    columns = np.arange(daily.mean.shape[1])[None, :] < days[:, None]
    return pd.DataFrame(
        {
            SKU: daily.skus.astype(str),
            "expected": (daily.mean * columns).sum(axis=1),
            "spread": _Z90 * np.sqrt((daily.var * columns).sum(axis=1)),
        }
    )


def _computed(conn: duckdb.DuckDBPyConnection, run_id: str, days: int) -> pd.DataFrame:
    return shift_window(windows.first_forecast_days(conn, run_id, days), days)


def window_for(
    conn: duckdb.DuckDBPyConnection, run_id: str, days: int = RECENT_DAYS
) -> pd.DataFrame:
    """``sku, expected, spread`` of forecast run ``run_id``: stored, or computed when not."""
    stored = shift_windows.load_shift_window(conn, run_id, days)
    return _computed(conn, run_id, days) if stored is None else stored


def store_window(conn: duckdb.DuckDBPyConnection, run_id: str, days: int = RECENT_DAYS) -> None:
    """Compute and store the window of ``run_id`` and the recent sales and stock counts the
    Alerts read (``store.windows.recent_inputs``) unless stored (inside ``transaction``)."""
    if not shift_windows.has_shift_windows(conn):
        return
    if shift_windows.load_shift_window(conn, run_id, days) is None:
        shift_windows.save_shift_window(conn, run_id, days, _computed(conn, run_id, days))
    windows.store_recent_inputs(conn, days)
