"""What a replay is asked to do and what it returns: parameters, options, result and column sets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from invdash.schema import DATE, SKU, ConfigError

__all__ = [
    "REPLAY_COLUMNS",
    "SUMMARY_COLUMNS",
    "PolicyFn",
    "Progress",
    "ReplayParams",
    "InvdashPolicyOptions",
    "ReplayResult",
    "LEAD_TIME",
    "REORDER_POINT",
    "ORDER_UP_TO",
    "CHOOSE_EVERY_DAYS",
]


#: Columns of the per-SKU, per-day replay frame (the ``--out`` file).
REPLAY_COLUMNS = (
    SKU,
    DATE,
    "demand",
    "on_hand_start",
    "received",
    "sold",
    "lost",
    "on_hand_end",
    "ordered",
)
#: Columns of the per-policy summary.
SUMMARY_COLUMNS = (
    "policy",
    "fill_rate",
    "stockout_days",
    "stockout_day_share",
    "mean_on_hand",
    "demand",
    "sold",
    "lost",
    "orders",
    "skus",
    "days",
)

#: ``policy_fn(history, as_of) -> frame sku, reorder_point, order_up_to`` (history: before as_of).
PolicyFn = Callable[[pd.DataFrame, pd.Timestamp], pd.DataFrame]
#: ``progress(fraction_done, message)``.
Progress = Callable[[float, str], None]

#: Default days between two model choices (backtests) of a replay's forecasts.
CHOOSE_EVERY_DAYS = 28

REORDER_POINT = "reorder_point"
ORDER_UP_TO = "order_up_to"
LEAD_TIME = "lead_time_days"


@dataclass(frozen=True)
class ReplayParams:
    """What to replay.

    Args:
        start: first replayed day ``START`` (the first review day).
        days: number of replayed days.
        review_period_days: review period R, in days (a review on START, START + R, ...).
        lead_time_days: replenishment lead time L in days for every SKU; None takes each
            product's ``lead_time_days`` (rounded to whole days; 7 where unknown).
        min_history_days: days of sales needed before START to plan from.
    """

    start: pd.Timestamp
    days: int = 84
    review_period_days: int = 7
    lead_time_days: int | None = None
    min_history_days: int = 28

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", pd.Timestamp(self.start).normalize())
        for name in ("days", "review_period_days", "min_history_days"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}.")
        lead = self.lead_time_days
        if lead is not None and (not isinstance(lead, int | np.integer) or lead < 0):
            raise ConfigError(f"lead_time_days must be a whole number of days >= 0, got {lead!r}.")


@dataclass(frozen=True)
class InvdashPolicyOptions:
    """How the invdash policy is built in a replay.

    Args:
        model: the forecast engine's model (``forecast.engine.available_models()``).
        seed: random seed of the engine and of the policy's Monte Carlo.
        folds: backtest folds the engine uses to choose models (``model="auto"``).
        calibration_origins: past weekly forecast origins pooled to estimate the demand-level
            uncertainty over L + R (:func:`estimate_level_uncertainty_cv`); 0 turns it off.
        choose_every_days: days between two backtests that choose each SKU's model; the
            origins between refit the chosen models (``replay.forecasts``). None runs the whole
            engine at every origin (``ForecastCache``: slower, the same choices as a live run).
        country: the public holidays the forecasts learn (``ForecastOptions.country``): the
            stored runs' (the shop's ``Settings.country``) for a replay of the store's sales.
        events: the user events ``date, event[, sku | category]`` the stored runs use
            (``store.events.load_events``), or None. Not part of the options' equality.
    """

    model: str = "auto"
    seed: int = 0
    folds: int = 3
    calibration_origins: int = 6
    choose_every_days: int | None = CHOOSE_EVERY_DAYS
    country: str | None = None
    events: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("seed", "folds", "calibration_origins"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value < 0:
                raise ConfigError(f"{name} must be a whole number >= 0, got {value!r}.")
        every = self.choose_every_days
        if every is not None and (not isinstance(every, int | np.integer) or every < 1):
            raise ConfigError(
                f"choose_every_days must be a whole number of days >= 1 or None, got {every!r}."
            )


@dataclass(frozen=True)
class ReplayResult:
    """Replays of one or more policies over the same days.

    Attributes:
        days: per SKU and day, ``policy`` followed by ``REPLAY_COLUMNS``.
        summary: one row per policy with ``SUMMARY_COLUMNS``.
        params: what was replayed.
    """

    days: pd.DataFrame
    summary: pd.DataFrame
    params: ReplayParams

    def for_policy(self, policy: str) -> pd.DataFrame:
        """The per-day frame of one policy with exactly ``REPLAY_COLUMNS``."""
        rows = self.days[self.days["policy"] == policy]
        if rows.empty:
            known = ", ".join(self.summary["policy"])
            raise ConfigError(f"no replay for policy {policy!r}; replayed: {known}.")
        return rows[list(REPLAY_COLUMNS)].reset_index(drop=True)

    def skus_by_demand(self) -> list[str]:
        """The replayed SKUs, most demand first (ties keep the replay's order)."""
        days = self.days[self.days["policy"] == self.summary["policy"].iloc[0]]
        demand = days.groupby(SKU)["demand"].sum().sort_values(ascending=False, kind="stable")
        return demand.index.astype(str).tolist()
