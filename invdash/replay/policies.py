"""The two policies a replay compares (invdash and textbook) and the comparisons built on them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from invdash.config import load_settings
from invdash.policy import PolicyParams, compute_policy, textbook_policy
from invdash.policy.calibration import ForecastCache, estimate_level_uncertainty_cv
from invdash.policy.planning import planning_products
from invdash.replay.forecasts import ReplayForecasts, replay_origins
from invdash.replay.ledger import check_window, daily_panel, replay_all, scaled_progress
from invdash.replay.params import (
    LEAD_TIME,
    ORDER_UP_TO,
    REORDER_POINT,
    SUMMARY_COLUMNS,
    InvdashPolicyOptions,
    PolicyFn,
    Progress,
    ReplayParams,
    ReplayResult,
)
from invdash.schema import DATE, SKU, ConfigError
from invdash.store.events import load_events

__all__ = [
    "stock_at_fill",
    "make_invdash_policy",
    "make_textbook_policy",
    "replay_products",
    "compare_policies",
    "fill_rate_curve",
    "replay_forecast_cache",
    "store_policy_options",
]


def make_invdash_policy(
    products: pd.DataFrame,
    *,
    service_level: float,
    review_period_days: int,
    cache: ForecastCache,
    calibration_origins: int = 6,
) -> PolicyFn:
    """The invdash policy: forecast from history with the engine, then ``policy.compute_policy``.

    On each review day the level uncertainty (``PolicyParams.level_uncertainty_cv``) is
    estimated from the forecast errors of the previous ``calibration_origins`` weekly origins
    (:func:`estimate_level_uncertainty_cv`, history only; cached per day in ``cache``).

    Args:
        products: products with ``lead_time_days`` (and ``lead_time_sd_days``, ``moq``,
            ``pack_size`` when known), one row per replayed SKU.
        service_level: target fill rate, a fraction in (0, 1).
        review_period_days: review period R, in days.
        cache: where the forecasts per review day are computed and kept; its seed also seeds
            the policy's Monte Carlo.
        calibration_origins: past origins pooled for the level uncertainty (0: none).
    """

    # Only the levels are used; stock and orders in flight are the replay's business.
    no_stock = pd.DataFrame({SKU: products[SKU].astype(str), "on_hand": 0.0})
    protection = products.set_index(products[SKU].astype(str))[LEAD_TIME] + review_period_days

    def policy_fn(history: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
        forecasts = cache.forecasts(history, as_of)
        level_cv = cache.remember(
            ("level_cv", as_of, calibration_origins),
            lambda: estimate_level_uncertainty_cv(
                history,
                as_of,
                cache=cache,
                protection_days=protection,
                origins=calibration_origins,
            ),
        )
        params = PolicyParams(
            service_level=service_level,
            review_period_days=review_period_days,
            level_uncertainty_cv=level_cv,
        )
        # Decided at the end of the day before ``as_of``, so day ``as_of`` is the first day the
        # order-up-to level must cover (the replay trades on it after the review).
        table = compute_policy(
            forecasts,
            products,
            no_stock,
            None,
            params=params,
            as_of=as_of - pd.Timedelta(days=1),
            seed=cache.seed,
        )
        return table[[SKU, REORDER_POINT, ORDER_UP_TO]]

    return policy_fn


def make_textbook_policy(
    products: pd.DataFrame, *, service_level: float, review_period_days: int
) -> PolicyFn:
    """The textbook policy (``policy.textbook_policy``: normal, z x sigma x sqrt(L + R) from a
    moving average), with each product's lead time.

    Args:
        products: products with ``sku, lead_time_days``.
        service_level: the cycle service level behind z, a fraction in (0, 1).
        review_period_days: review period R, in days.
    """

    def policy_fn(history: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:  # noqa: ARG001
        table = textbook_policy(
            history, products, service_level=service_level, review_period_days=review_period_days
        )
        return table[[SKU, REORDER_POINT, ORDER_UP_TO]]

    return policy_fn


def store_policy_options(
    conn: duckdb.DuckDBPyConnection, model: str = "auto", **options: Any
) -> InvdashPolicyOptions:
    """``InvdashPolicyOptions`` for a replay of the store's sales: the forecasts use the
    calendar the store's forecast runs use (``forecast.stored``: the shop's
    ``Settings.country`` and the stored user events), so a replayed decision rests on the
    forecast the live one would have made. ``options``: the other fields."""
    return InvdashPolicyOptions(
        model=model, country=load_settings().country, events=load_events(conn), **options
    )


def replay_products(
    sales: pd.DataFrame, products: pd.DataFrame | None, *, params: ReplayParams
) -> pd.DataFrame:
    """The products a replay plans (``policy.planning.planning_products`` on START with the
    replay's lead time)."""
    return planning_products(
        sales, products, start=params.start, lead_time_days=params.lead_time_days
    )


def _horizon(products: pd.DataFrame, review_period_days: int) -> int:
    cover = products[LEAD_TIME] + review_period_days + 3 * products["lead_time_sd_days"]
    return max(14, int(np.ceil(cover.max())) + 1)


def _policies(
    products: pd.DataFrame,
    *,
    service_level: float,
    params: ReplayParams,
    cache: ForecastCache,
    calibration_origins: int,
) -> dict[str, PolicyFn]:
    review = params.review_period_days
    return {
        "invdash": make_invdash_policy(
            products,
            service_level=service_level,
            review_period_days=review,
            cache=cache,
            calibration_origins=calibration_origins,
        ),
        "textbook": make_textbook_policy(
            products, service_level=service_level, review_period_days=review
        ),
    }


def replay_forecast_cache(
    sales: pd.DataFrame,
    products: pd.DataFrame | None,
    *,
    params: ReplayParams,
    options: InvdashPolicyOptions | None = None,
) -> ForecastCache:
    """The invdash forecasts of one replay window, to share between calls.

    A replay's forecasts (one per review day and calibration origin, by far its slowest part)
    depend on the sales, the products, the window (start, review period, lead time) and the
    options, never on the service target. ``compare_policies`` and ``fill_rate_curve`` given
    the same cache compute each of them once: a second target, or the curve after a replay,
    re-runs the cheap policy and ledger steps only. ``cache.products`` are the planned products.

    With ``options.choose_every_days`` (the default) the cache is a ``ReplayForecasts``: models
    are chosen by a backtest every that many days from the window's earliest origin and refitted
    at the origins between; None gives a ``ForecastCache`` (the whole engine at every origin).

    Args:
        sales: long sales ``sku, date, qty``.
        products: optional products (lead times, MOQ, pack sizes).
        params: the replay window; ``days`` may differ between the calls that share it.
        options: how the invdash policy forecasts (default ``InvdashPolicyOptions()``).

    Raises:
        InvalidDataError: bad sales, START outside the data, too little history before START.
    """
    options = options or InvdashPolicyOptions()
    panel = daily_panel(sales)
    check_window(panel, params)
    planned = replay_products(panel, products, params=params)
    settings = {
        "model": options.model,
        "horizon": _horizon(planned, params.review_period_days),
        "seed": options.seed,
        "folds": options.folds,
        "country": options.country,
        "events": options.events,
    }
    if options.choose_every_days is None:
        return ForecastCache(planned, **settings)
    origins = _origins(panel, planned, params, options)
    return ReplayForecasts(
        planned, **settings, anchor=origins[0], choose_every_days=options.choose_every_days
    )


def _origins(
    panel: pd.DataFrame, planned: pd.DataFrame, params: ReplayParams,
    options: InvdashPolicyOptions,
) -> list[pd.Timestamp]:  # fmt: skip
    protection = planned.set_index(planned[SKU].astype(str))[LEAD_TIME]
    return replay_origins(
        params, protection + params.review_period_days,
        calibration_origins=options.calibration_origins, first_day=panel[DATE].min(),
    )  # fmt: skip


def _forecast_first(
    panel: pd.DataFrame, cache: ForecastCache, params: ReplayParams,
    options: InvdashPolicyOptions, progress: Progress | None,
) -> Progress | None:  # fmt: skip
    """Make a ``ReplayForecasts``' missing forecasts first, earliest origin first, with progress
    per forecast (most of a first replay's time); returns the progress left for the replay."""
    if not isinstance(cache, ReplayForecasts):
        return progress
    origins = [o for o in _origins(panel, cache.products, params, options) if not cache.has(o)]
    if not origins:
        return progress
    cache.prepare(panel, origins, _part(progress, 0.0, 0.95, "invdash forecasts"))
    return _part(progress, 0.95, 0.05, "replay")


def _part(progress: Progress | None, start: float, width: float, name: str) -> Progress | None:
    """``progress`` for a step that covers ``start .. start + width`` of the whole."""
    if progress is None:
        return None

    def report(fraction: float, message: str) -> None:
        progress(start + width * fraction, f"{name}: {message}")

    return report


def _prepared(
    sales: pd.DataFrame,
    products: pd.DataFrame | None,
    params: ReplayParams,
    options: InvdashPolicyOptions,
    cache: ForecastCache | None,
) -> tuple[pd.DataFrame, ForecastCache]:
    panel = daily_panel(sales)
    check_window(panel, params)
    if cache is None:
        cache = replay_forecast_cache(panel, products, params=params, options=options)
    return panel, cache


def compare_policies(  # noqa: PLR0913 - keyword-only options of one documented call
    sales: pd.DataFrame,
    *,
    params: ReplayParams,
    service_level: float = 0.95,
    products: pd.DataFrame | None = None,
    options: InvdashPolicyOptions | None = None,
    progress: Progress | None = None,
    cache: ForecastCache | None = None,
) -> ReplayResult:
    """Replay the invdash policy and the textbook policy at one service target.

    Args:
        sales: long sales ``sku, date, qty``.
        params: start, days, review period and lead time (see ``replay_products``).
        service_level: target service level, a fraction in (0, 1).
        products: optional products (lead times, MOQ, pack sizes).
        options: how the invdash policy forecasts and calibrates (default
            ``InvdashPolicyOptions()``).
        progress: optional ``progress(fraction_done, message)``.
        cache: forecasts shared with other calls on the same window
            (``replay_forecast_cache``); a new one when None.

    Returns:
        ``ReplayResult`` with policies ``invdash`` and ``textbook``.
    """
    options = options or InvdashPolicyOptions()
    panel, cache = _prepared(sales, products, params, options, cache)
    progress = _forecast_first(panel, cache, params, options, progress)
    planned = cache.products
    policies = _policies(
        planned,
        service_level=service_level,
        params=params,
        cache=cache,
        calibration_origins=options.calibration_origins,
    )
    return replay_all(panel, policies, params=params, products=planned, progress=progress)


def fill_rate_curve(  # noqa: PLR0913 - keyword-only options of one documented call
    sales: pd.DataFrame,
    *,
    params: ReplayParams,
    service_levels: Sequence[float],
    products: pd.DataFrame | None = None,
    options: InvdashPolicyOptions | None = None,
    progress: Progress | None = None,
    cache: ForecastCache | None = None,
) -> pd.DataFrame:
    """Fill rate against mean stock for both policies at several service targets.

    The invdash forecasts (and level calibrations) are computed once per review day and shared
    by every target (and with any other call given the same ``cache``). Arguments as in
    :func:`compare_policies`.

    Returns:
        One row per policy and target: ``service_level`` followed by ``SUMMARY_COLUMNS``.
    """
    options = options or InvdashPolicyOptions()
    panel, cache = _prepared(sales, products, params, options, cache)
    progress = _forecast_first(panel, cache, params, options, progress)
    planned = cache.products
    rows = []
    for index, level in enumerate(service_levels):
        policies = _policies(
            planned,
            service_level=level,
            params=params,
            cache=cache,
            calibration_origins=options.calibration_origins,
        )
        step = scaled_progress(progress, index, len(service_levels), f"target {level:.1%}")
        result = replay_all(panel, policies, params=params, products=planned, progress=step)
        rows.append(result.summary.assign(service_level=level))
    curve = pd.concat(rows, ignore_index=True)
    return curve[["service_level", *SUMMARY_COLUMNS]].sort_values(["policy", "service_level"])


def stock_at_fill(curve: pd.DataFrame, policy: str, fill_rate: float) -> tuple[float, bool]:
    """``policy``'s mean on-hand at ``fill_rate``, linear along its ``fill_rate_curve`` rows;
    returns ``(units, inside)`` where ``inside`` says the fill rate lies within the measured
    points (outside, the nearest segment is extended).

    Two policies are compared at equal fill this way: a policy that reaches a higher fill than
    the other at the same target is not "worse" for holding more stock.

    Example: textbook points (0.90, 400) and (0.95, 500) give 450 units at 0.925, inside.
    """
    rows = curve[curve["policy"] == policy].sort_values("fill_rate")
    fills, stock = rows["fill_rate"].to_numpy(dtype=float), rows["mean_on_hand"].to_numpy(float)
    if len(fills) == 0:
        raise ConfigError(f"the curve has no points for policy {policy!r}.")
    if len(fills) == 1 or fills[0] <= fill_rate <= fills[-1]:
        return float(np.interp(fill_rate, fills, stock)), bool(fills[0] <= fill_rate <= fills[-1])
    edge = [0, 1] if fill_rate < fills[0] else [-2, -1]
    slope = (stock[edge[1]] - stock[edge[0]]) / max(fills[edge[1]] - fills[edge[0]], 1e-12)
    return float(stock[edge[0]] + slope * (fill_rate - fills[edge[0]])), False
