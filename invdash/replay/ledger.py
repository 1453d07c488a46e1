"""The day-by-day replay of one or more policies over recorded sales (the steps of a day are in
the package docstring)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from invdash.policy import round_order_quantity
from invdash.policy.planning import product_column, whole_lead_time_days
from invdash.replay.params import (
    ORDER_UP_TO,
    REORDER_POINT,
    REPLAY_COLUMNS,
    SUMMARY_COLUMNS,
    PolicyFn,
    Progress,
    ReplayParams,
    ReplayResult,
)
from invdash.schema import DATE, QTY, SKU, InvalidDataError, validate_sales
from invdash.store import fill_missing_days

__all__ = [
    "daily_panel",
    "check_window",
    "simulate_policy",
    "summarize_replay",
    "replay",
    "replay_all",
    "scaled_progress",
]


def daily_panel(sales: pd.DataFrame) -> pd.DataFrame:
    """Validated, gap-free daily sales ``sku, date, qty, ...`` (each SKU from its first row).

    Raises:
        InvalidDataError: the sales contract is broken (see ``schema.validate_sales``).
    """

    validate_sales(sales)
    panel = fill_missing_days(sales)
    panel[SKU] = panel[SKU].astype(str)
    return panel.sort_values([SKU, DATE]).reset_index(drop=True)


def check_window(panel: pd.DataFrame, params: ReplayParams) -> None:
    if panel.empty:
        raise InvalidDataError("sales are empty; there is nothing to replay.")
    first, last = panel[DATE].min(), panel[DATE].max()
    end = params.start + pd.Timedelta(days=params.days - 1)
    if params.start < first or params.start > last:
        raise InvalidDataError(
            f"start date {params.start.date()} is outside the sales data "
            f"({first.date()} .. {last.date()}); choose a --start inside it."
        )
    if end > last:
        fits = (last - params.start).days + 1
        raise InvalidDataError(
            f"replaying {params.days} days from {params.start.date()} needs sales until "
            f"{end.date()}, but they end on {last.date()}; use --days {fits} or an earlier --start."
        )
    history = (params.start - first).days
    if history < params.min_history_days:
        raise InvalidDataError(
            f"only {history} days of sales before start {params.start.date()}; the replay needs "
            f"at least {params.min_history_days} to plan from. Choose a later --start."
        )


def _round_orders(raw: np.ndarray, pack: np.ndarray, moq: np.ndarray) -> np.ndarray:
    """Whole packs (whole units without a pack size), at least the MOQ, or zero: the policy's
    own rounding (``policy.round_order_quantity``)."""

    pack = np.where(np.isfinite(pack) & (pack > 0), pack, 1.0)
    return round_order_quantity(raw, moq=np.nan_to_num(moq, nan=0.0), pack_size=pack)


def _policy_levels(
    policy_fn: PolicyFn, panel: pd.DataFrame, as_of: pd.Timestamp, skus: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    history = panel[panel[DATE] < as_of].reset_index(drop=True)
    table = policy_fn(history, as_of)
    missing = [c for c in (SKU, REORDER_POINT, ORDER_UP_TO) if c not in table.columns]
    if missing:
        raise InvalidDataError(
            f"the policy function returned no column(s) {', '.join(missing)}; it must return "
            "sku, reorder_point, order_up_to."
        )
    levels = table.assign(**{SKU: table[SKU].astype(str)}).drop_duplicates(SKU).set_index(SKU)
    levels = levels.reindex(skus)[[REORDER_POINT, ORDER_UP_TO]].astype(float).fillna(0.0)
    return levels[REORDER_POINT].to_numpy(), levels[ORDER_UP_TO].to_numpy()


@dataclass
class _Ledger:
    """Day-by-day arrays (SKU x day) of one replay."""

    demand: np.ndarray
    lead: np.ndarray
    pack: np.ndarray
    moq: np.ndarray
    on_hand: np.ndarray = field(init=False)
    arrivals: np.ndarray = field(init=False)
    columns: dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        n_skus, n_days = self.demand.shape
        self.on_hand = np.zeros(n_skus)
        self.arrivals = np.zeros((n_skus, n_days + int(self.lead.max(initial=0)) + 1))
        self.columns = {name: np.zeros((n_skus, n_days)) for name in REPLAY_COLUMNS[2:]}
        self.columns["demand"] = self.demand

    def review(self, day: int, reorder_point: np.ndarray, order_up_to: np.ndarray) -> None:
        position = self.on_hand + self.arrivals[:, day:].sum(axis=1)
        raw = np.where(position <= reorder_point, order_up_to - position, 0.0)
        ordered = _round_orders(raw, self.pack, self.moq)
        self.columns["ordered"][:, day] = ordered
        self.arrivals[np.arange(len(ordered)), day + self.lead] += ordered

    def trade(self, day: int) -> None:
        received = self.arrivals[:, day]
        sold = np.minimum(self.demand[:, day], self.on_hand + received)
        cols = self.columns
        cols["on_hand_start"][:, day] = self.on_hand
        cols["received"][:, day] = received
        cols["sold"][:, day] = sold
        cols["lost"][:, day] = self.demand[:, day] - sold
        self.on_hand = self.on_hand + received - sold
        cols["on_hand_end"][:, day] = self.on_hand


def _demand_matrix(panel: pd.DataFrame, skus: list[str], days: pd.DatetimeIndex) -> np.ndarray:
    window = panel[panel[DATE].between(days[0], days[-1]) & panel[SKU].isin(skus)]
    wide = window.pivot_table(index=SKU, columns=DATE, values=QTY, aggfunc="sum")
    return wide.reindex(index=skus, columns=days).fillna(0.0).to_numpy(dtype=float)


def _ledger_frame(ledger: _Ledger, skus: list[str], days: pd.DatetimeIndex) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            SKU: np.repeat(np.asarray(skus, dtype=object), len(days)),
            DATE: np.tile(days.to_numpy(), len(skus)),
        }
    )
    for name in REPLAY_COLUMNS[2:]:
        frame[name] = ledger.columns[name].reshape(-1)
    return frame


def _replay_panel(
    panel: pd.DataFrame,
    policy_fn: PolicyFn,
    *,
    params: ReplayParams,
    products: pd.DataFrame | None,
    progress: Progress | None,
) -> pd.DataFrame:
    first_sale = panel.groupby(SKU)[DATE].min()
    skus = sorted(first_sale.index[first_sale < params.start].astype(str))
    days = pd.date_range(params.start, periods=params.days, freq="D")
    ledger = _Ledger(
        demand=_demand_matrix(panel, skus, days),
        lead=whole_lead_time_days(products, skus, lead_time_days=params.lead_time_days),
        pack=product_column(products, skus, "pack_size"),
        moq=product_column(products, skus, "moq"),
    )
    n_reviews = math.ceil(params.days / params.review_period_days)
    for day_index, day in enumerate(days):
        if day_index % params.review_period_days == 0:
            if progress is not None:
                review = day_index // params.review_period_days
                progress(review / n_reviews, f"review {review + 1}/{n_reviews} on {day.date()}")
            reorder_point, order_up_to = _policy_levels(policy_fn, panel, day, skus)
            if day_index == 0:
                ledger.on_hand = order_up_to.copy()
            ledger.review(day_index, reorder_point, order_up_to)
        ledger.trade(day_index)
    if progress is not None:
        progress(1.0, "replay done")
    return _ledger_frame(ledger, skus, days)


def simulate_policy(
    sales: pd.DataFrame,
    policy_fn: PolicyFn,
    *,
    params: ReplayParams,
    products: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Replay one policy over recorded sales (see the module docstring for the day's steps).

    Args:
        sales: long sales ``sku, date, qty`` (gaps allowed; missing days count as zero demand).
        policy_fn: ``policy_fn(history, as_of) -> frame sku, reorder_point, order_up_to``;
            ``history`` holds the gap-free sales strictly before ``as_of``.
        params: start, days, review period and lead time.
        products: optional ``sku, lead_time_days, moq, pack_size`` (lead times when
            ``params.lead_time_days`` is None; order rounding).
        progress: optional ``progress(fraction_done, message)`` called on each review day.

    Returns:
        One row per SKU and day with ``REPLAY_COLUMNS``.

    Raises:
        InvalidDataError: bad sales, START outside the data, too little history before START.

    Example:
        One SKU selling 2 a day, reorder point 5, order-up-to 10, L = 1, R = 1. Day 0 opens with
        10 and ends with 8; day 1 ends with 6, day 2 with 4. Day 3 opens at 4 <= 5, so 6 units are
        ordered (10 - 4) and it ends with 2; day 4 receives the 6 (position 2 + 6 = 8 > 5, no
        order) and ends with 6. Fill rate 100 %, mean on-hand (8 + 6 + 4 + 2 + 6) / 5 = 5.2.
    """
    panel = daily_panel(sales)
    check_window(panel, params)
    return _replay_panel(panel, policy_fn, params=params, products=products, progress=progress)


def summarize_replay(days: pd.DataFrame, *, policy: str) -> dict[str, float | int | str]:
    """Fill rate, stockout days and mean on-hand of one replay frame.

    Args:
        days: a frame with ``REPLAY_COLUMNS``.
        policy: the policy's name, copied into the result.

    Returns:
        A mapping with ``SUMMARY_COLUMNS``: fill_rate = sum(sold) / sum(demand) (1.0 without
        demand); stockout_days = SKU-days with lost > 0; stockout_day_share = that over all
        SKU-days; mean_on_hand = mean on_hand_end over SKU-days.
    """
    demand, sold = float(days["demand"].sum()), float(days["sold"].sum())
    stockout_days = int((days["lost"] > 1e-9).sum())
    return {
        "policy": policy,
        "fill_rate": sold / demand if demand > 0 else 1.0,
        "stockout_days": stockout_days,
        "stockout_day_share": stockout_days / len(days) if len(days) else 0.0,
        "mean_on_hand": float(days["on_hand_end"].mean()) if len(days) else 0.0,
        "demand": demand,
        "sold": sold,
        "lost": float(days["lost"].sum()),
        "orders": int((days["ordered"] > 0).sum()),
        "skus": int(days[SKU].nunique()),
        "days": int(days[DATE].nunique()),
    }


def replay(
    sales: pd.DataFrame,
    policies: Mapping[str, PolicyFn],
    *,
    params: ReplayParams,
    products: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> ReplayResult:
    """Replay several policies over the same days; see :func:`simulate_policy`.

    Args:
        sales: long sales ``sku, date, qty``.
        policies: name -> policy function, e.g. ``{"invdash": ..., "textbook": ...}``.
        params: start, days, review period and lead time.
        products: optional ``sku, lead_time_days, moq, pack_size``.
        progress: optional ``progress(fraction_done, message)`` over all policies.

    Returns:
        ``ReplayResult`` with the per-day frame (``policy`` column first) and the summary.
    """
    panel = daily_panel(sales)
    check_window(panel, params)
    return replay_all(panel, policies, params=params, products=products, progress=progress)


def replay_all(
    panel: pd.DataFrame,
    policies: Mapping[str, PolicyFn],
    *,
    params: ReplayParams,
    products: pd.DataFrame | None,
    progress: Progress | None,
) -> ReplayResult:
    frames, rows = [], []
    for index, (name, policy_fn) in enumerate(policies.items()):
        step = scaled_progress(progress, index, len(policies), name)
        days = _replay_panel(panel, policy_fn, params=params, products=products, progress=step)
        frames.append(days.assign(policy=name)[["policy", *REPLAY_COLUMNS]])
        rows.append(summarize_replay(days, policy=name))
    summary = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return ReplayResult(days=pd.concat(frames, ignore_index=True), summary=summary, params=params)


def scaled_progress(
    progress: Progress | None, index: int, count: int, name: str
) -> Progress | None:
    if progress is None:
        return None

    def report(fraction: float, message: str) -> None:
        progress((index + fraction) / count, f"{name}: {message}")

    return report
