"""Price and promotion effects for the fast models: elasticities pooled by category, shrunk to SKUs.

Design:
- Covariates per SKU and period over the data and its planned periods (``Panel.price`` /
  ``Panel.promo``, (n, T + F)): ``x1 = log(price / regular price)``, the regular price being the
  highest price of the ``_REGULAR`` periods before (28 days, 4 weeks, 3 months; a discount is a
  price below the recent shelf price, a rise above it counts until it becomes the new regular
  price; a planned period is measured against the regular price at the end of the data),
  clipped to [log 0.2, log 5]; ``x2`` the promotion flag (0 .. 1). A SKU without prices
  has ``x1 = 0``.
- Response: on the history the fast models learn from (weekday-, season- and event-adjusted,
  ``baseline.adjusted_history`` / ``calendar.event_factors``), each period's demand ``a`` over
  its local regular level ``b`` (the mean of the *regular* periods, no promotion and no
  discount, within ``_LEVEL`` periods on either side), as ``y = log((a + b/4) / (b + b/4))``:
  a log ratio that stays finite on zero days (a zero counts as a fall of log 0.2, not minus
  infinity, so sparse SKUs speak softly).
- Per SKU, a least-squares slope of ``y`` on ``x`` with its own intercept (the within-SKU
  regression: sums ``Cxx``, ``Cxy`` after taking out the SKU's means), weighted by the inverse
  of the SKU's variance of ``y``: its evidence ``I = Cxx / var`` and score ``u = Cxy / var``.
- Pooling (Gaussian priors, i.e. ridge towards the level above): the shop's effect
  ``(I_shop + 1)^-1 u_shop`` (towards no effect), each category's
  ``(I_cat + 1/0.5^2)^-1 (u_cat + beta_shop / 0.5^2)``, each SKU's
  ``(I_sku + 1/0.5^2)^-1 (u_sku + beta_cat / 0.5^2)``: a SKU with many price changes keeps its
  own elasticity, one that never changed price takes its category's. ``I`` and ``u`` add up
  over SKUs, so SKU chunks pool the same numbers in one pass (``price_sums``,
  ``prior_from_sums``). Signs are economic: the price elasticity is clipped to [-4, 0] and the
  promotion's log-lift to [0, 2], so a price cut or a promotion never lowers a forecast.
- Applied like the user events: the factor ``exp(beta1 x1 + beta2 x2)`` per SKU and period; the
  fast models divide the past by it (they learn demand at the regular price) and multiply their
  forecast by it where the panel holds planned prices (``--future``; a backtest fold reads the
  prices of its test periods, as a planner knows the prices they set). After the last planned
  period (or without a plan) the factor is the SKU's mean factor over its last year of data:
  discounts and promotions as often as they came (a forecast at the regular price would
  fall short of a shop that promotes every month without planning it ahead). Without prices,
  or when no price or promotion ever varies, there is no factor and the forecast is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from invdash.forecast.grain import Grain

__all__ = ["PricePrior", "price_covariates", "price_sums", "prior_from_sums", "price_factors",
           "pooled_price_prior", "price_window"]

_REGULAR = {"D": 28, "W": 4, "M": 3}
_LEVEL = {"D": 14, "W": 4, "M": 3}
_TYPICAL = {"D": 364, "W": 52, "M": 12}
_TAU_SKU = 0.5
_TAU_CATEGORY = 0.5
_CLIP_PRICE = (-4.0, 0.0)
_CLIP_PROMO = (0.0, 2.0)
_OFFSET = 0.25
_DISCOUNT = np.log(0.97)  # a price 3 % under the regular one is a discount


@dataclass(frozen=True)
class PricePrior:
    """Pooled effects ``(price elasticity, promotion log-lift)``: the shop's and per category
    code (``Panel.category``; code 0 without categories)."""

    shop: tuple[float, float]
    categories: dict[int, tuple[float, float]]

    def for_rows(self, category: np.ndarray | None, n: int) -> np.ndarray:
        """The prior effect of each of ``n`` rows, (n, 2) (the shop's for unknown codes)."""
        codes = np.zeros(n, dtype=int) if category is None else np.asarray(category, dtype=int)
        return np.array([self.categories.get(int(c), self.shop) for c in codes]).reshape(n, 2)


def _trailing_max(price: np.ndarray, window: int) -> np.ndarray:
    """Highest known price of the ``window`` periods before each period (NaN: none).

    By doubling: ``span`` (the largest power of two <= window) covers half the window or
    more, so two overlapping spans cover it, in log2(window) passes instead of window."""
    t = price.shape[1]
    window, span, most = max(min(window, t), 1), 1, price.copy()
    while span * 2 <= window:  # most[:, s]: max of price[:, s - 2 span + 1 .. s]
        shifted = np.full(most.shape, np.nan)
        shifted[:, span:] = most[:, :t - span]
        most, span = np.fmax(most, shifted), span * 2
    padded = np.concatenate([np.full((len(price), 1), np.nan), most], axis=1)
    stop = np.arange(t)  # columns of ``padded`` are shifted by one: s - 1 -> s
    start = stop - window + span
    start = np.where(start < 1, np.minimum(stop, span), start)
    return np.fmax(padded[:, stop], padded[:, start])


def price_covariates(price: np.ndarray | None, promo: np.ndarray | None, grain: Grain, *,
                     periods: int) -> np.ndarray | None:
    """``x`` of the module docstring, (n, T + F, 2); None without prices and promotions.

    ``periods``: T, the periods of data; the planned periods after them are measured against
    the regular price at the end of the data, so a planned rise lowers the whole horizon."""
    if price is None and promo is None:
        return None
    shape = (price if price is not None else promo).shape
    rel = np.zeros(shape)
    if price is not None:
        regular = _trailing_max(price, _REGULAR[grain.kind])
        if 0 < periods < shape[1]:
            regular[:, periods:] = regular[:, periods:periods + 1]
        ratio = price / np.where(regular > 0, regular, np.nan)
        rel = np.clip(np.nan_to_num(np.log(np.where(ratio > 0, ratio, 1.0)), nan=0.0),
                      np.log(0.2), np.log(5.0))
    flag = np.zeros(shape) if promo is None else np.clip(np.nan_to_num(promo), 0.0, 1.0)
    return np.stack([rel, flag], axis=2)


def _window_sum(values: np.ndarray, half: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum and count of the known values within ``half`` periods either side, the period
    itself left out."""
    known = ~np.isnan(values)
    pad = np.zeros((len(values), 1))
    sums = np.concatenate([pad, np.cumsum(np.where(known, values, 0.0), 1)], 1)
    counts = np.concatenate([pad, np.cumsum(known, 1)], 1)
    t = values.shape[1]
    lo, hi = np.clip(np.arange(t) - half, 0, t), np.clip(np.arange(t) + half + 1, 0, t)
    total = sums[:, hi] - sums[:, lo] - np.where(known, values, 0.0)
    return total, counts[:, hi] - counts[:, lo] - known


def _sku_stats(adjusted: np.ndarray, x: np.ndarray, grain: Grain
               ) -> tuple[np.ndarray, np.ndarray]:
    """Each SKU's evidence ``I`` (n, 2, 2) and score ``u`` (n, 2) (module docstring)."""
    t = adjusted.shape[1]
    rel, flag = np.ascontiguousarray(x[:, :t, 0]), np.ascontiguousarray(x[:, :t, 1])
    total, count = _window_sum(np.where((rel > _DISCOUNT) & (flag <= 0), adjusted, np.nan),
                               _LEVEL[grain.kind])
    level = np.where(count >= 2, total / np.maximum(count, 1), np.nan)
    ok = np.isfinite(adjusted) & np.isfinite(level) & (level > 0)
    level = np.where(ok, level, 1.0)
    y = np.where(ok, np.log((np.where(ok, adjusted, 0.0) + _OFFSET * level) / level
                            / (1 + _OFFSET)), 0.0)
    w = ok.astype(float)
    n = np.maximum(w.sum(1), 1.0)[:, None]
    d0, d1, dy = ((v - (v * w).sum(1)[:, None] / n) * w for v in (rel, flag, y))
    var = np.maximum((dy**2).sum(1) / np.maximum(n[:, 0] - 1, 1), 0.01)
    c01 = (d0 * d1).sum(1)
    evidence = np.stack([np.stack([(d0 * d0).sum(1), c01], 1),
                         np.stack([c01, (d1 * d1).sum(1)], 1)], 1)
    score = np.stack([(d0 * dy).sum(1), (d1 * dy).sum(1)], 1)
    return evidence / var[:, None, None], score / var[:, None]


def _category_sums(evidence: np.ndarray, score: np.ndarray, category: np.ndarray | None
                   ) -> dict[int, np.ndarray]:
    codes = np.zeros(len(score), dtype=int) if category is None else category.astype(int)
    return {int(c): np.concatenate([evidence[codes == c].sum(0).ravel(),
                                    score[codes == c].sum(0)]) for c in np.unique(codes)}


def price_sums(adjusted: np.ndarray, x: np.ndarray, category: np.ndarray | None, grain: Grain
               ) -> dict[int, np.ndarray]:
    """Per category code, ``I`` and ``u`` summed over its SKUs, each (6,) (``I`` flattened,
    then ``u``): the additive part of the pooled prior, for SKU chunks of a shop."""
    return _category_sums(*_sku_stats(adjusted, x, grain), category)


def _ridge(evidence: np.ndarray, score: np.ndarray, prior: np.ndarray, tau: float) -> np.ndarray:
    """``(I + 1/tau^2)^-1 (u + prior/tau^2)``, vectorised over leading axes, clipped."""
    eye = np.eye(2) / tau**2
    beta = np.linalg.solve(evidence + eye, (score + prior @ eye)[..., None])[..., 0]
    return np.stack([np.clip(beta[..., 0], *_CLIP_PRICE), np.clip(beta[..., 1], *_CLIP_PROMO)],
                    axis=-1)


def prior_from_sums(sums: dict[int, np.ndarray]) -> PricePrior:
    """The shop's and categories' pooled effects from ``price_sums`` (added up over chunks).

    Rounded to 1e-9: chunks add the sums in another order (1e-15 apart), and the global
    booster, which learns on top of the factor, can split differently on such dust; rounded,
    a chunked run reproduces the whole panel's factors bit for bit."""
    total = np.sum([sums[c] for c in sorted(sums)], axis=0) if sums else np.zeros(6)
    shop = np.round(_ridge(total[:4].reshape(2, 2), total[4:], np.zeros(2), 1.0), 9)
    categories = {code: tuple(float(v) for v in np.round(
        _ridge(s[:4].reshape(2, 2), s[4:], shop, _TAU_CATEGORY), 9))
        for code, s in sorted(sums.items())}
    return PricePrior(shop=(float(shop[0]), float(shop[1])), categories=categories)


def pooled_price_prior(adjusted: np.ndarray, x: np.ndarray | None, category: np.ndarray | None,
                       grain: Grain) -> PricePrior | None:
    """The pooled prior of a whole panel (None without covariates)."""
    if x is None:
        return None
    return prior_from_sums(price_sums(adjusted, x, category, grain))


def price_factors(
    adjusted: np.ndarray, x: np.ndarray | None, category: np.ndarray | None, grain: Grain,
    prior: PricePrior | None = None,
) -> np.ndarray | None:
    """Multiplicative price and promotion factor per SKU and period, (n, T + F + 1): the last
    column is the factor of the periods after the plan (``price_window``).

    Args:
        adjusted: the adjusted history the fast models learn from, NaN where unknown, (n, T).
        x: ``price_covariates`` of the panel, (n, T + F, 2); None returns None.
        category: category code per SKU (None: one group).
        grain: the panel's grain.
        prior: pooled effects from a larger panel (a SKU chunk, a Ray part, an explanation's
            alternative histories); None learns them from these rows.
    """
    if x is None or not np.any(np.abs(x) > 1e-12):
        return None
    evidence, score = _sku_stats(adjusted, x, grain)
    prior = prior or prior_from_sums(_category_sums(evidence, score, category))
    beta = _ridge(evidence, score, prior.for_rows(category, len(adjusted)), _TAU_SKU)
    log_factor = x[:, :, 0] * beta[:, :1] + x[:, :, 1] * beta[:, 1:]
    factor = np.exp(np.clip(log_factor, np.log(0.1), np.log(10.0)))
    start = max(adjusted.shape[1] - _TYPICAL[grain.kind], 0)
    known = np.isfinite(adjusted[:, start:])
    typical = np.where(known.any(1), np.where(known, factor[:, start:adjusted.shape[1]], 0.0)
                       .sum(1) / np.maximum(known.sum(1), 1), 1.0)
    return np.concatenate([factor, typical[:, None]], axis=1)


def price_window(factor: np.ndarray | None, first: np.ndarray, h: int) -> np.ndarray | float:
    """``price_factors`` at columns ``first + 0 .. h - 1`` per row, (n, h): past the planned
    periods, the row's typical factor (its last column); 1 without a factor."""
    if factor is None:
        return 1.0
    columns = np.asarray(first)[:, None] + np.arange(h)[None, :]
    return np.take_along_axis(factor, np.minimum(columns, factor.shape[1] - 1), axis=1)
