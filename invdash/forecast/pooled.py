"""Pooled statistics of a whole shop from SKU chunks, so a chunked forecast run equals the
whole-panel run.

Design: the forecast run pools a few statistics over every SKU, at the end of the data and at
each backtest origin (a *cut*: the number of leading periods seen). Each is a sum over SKUs, so
chunks of SKUs add them up in passes, each pass reading the chunks again:

1. calendar: demand and observed SKUs per date and the SKUs with data before each cut give the
   closed weekdays and dates (``shop.closed_weekdays_from`` ..., the panel's own rules);
2. weekday share: the sum over SKUs of their mean demand per weekday (``weekday_share_from``);
3. yearly season, first round: slot sums per category (``season.yearly_profiles``' ratio to a
   moving average, whose pooled part is sums of ``num`` and ``den`` by category);
4. yearly season, second round: the same on the series adjusted by the first round's profiles;
5. with user events: per event code, demand and baseline summed over its cells and their count
   on the weekday- and season-adjusted history (``calendar.event_lift_sums``), so each chunk's
   SKUs shrink their own lifts to the shop's pooled lift as in the whole panel;
6. with prices: per category, ``price.price_sums`` on that history with events divided out.

Each chunk keeps its own per-SKU slot sums of both rounds (small, (n, 52)) in its folder, so
its final yearly profiles are the pooled profiles shrunk towards its own sums, as
``season._pooled`` does for the whole panel. ``chunk_panel`` then gives a chunk the whole shop's
``ShopDays`` at every origin (``Panel.shop_at``, as ``invdash.distributed`` partitions carry),
so ``backtest_panel`` and ``fit_and_assemble`` compute exactly the whole panel's rows for its
SKUs. Sums are added in another order than the whole panel's, so results agree to rounding
(1e-12 relative), not bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from invdash.forecast.calendar import EventCodes, event_lift_sums, lifts_from_sums
from invdash.forecast.grain import Grain, periods_per_year
from invdash.forecast.models.baseline import adjusted_history, event_adjusted_history
from invdash.forecast.panel import Panel, weekday_profile
from invdash.forecast.price import PricePrior, price_covariates, price_sums, prior_from_sums
from invdash.forecast.season import (  # the estimator's own steps, so the two stay in step
    _K_CATEGORY,
    _K_SKU,
    _moving_mean,
    _normalise,
    _slot_sums,
    _smooth,
    has_yearly_history,
    season_factors,
    yearly_slots,
)
from invdash.forecast.shop import (
    ShopDays,
    closed_mask_from,
    closed_weekdays_from,
    weekday_share_from,
)

__all__ = ["Chunk", "CutStats", "ShopStats", "save_chunk", "load_chunk", "pool_shop",
           "chunk_panel"]

_SEASON_YEARS = 50


@dataclass(frozen=True)
class Chunk:
    """The raw matrices of some SKUs over the shop's periods (sorted SKUs).

    Attributes:
        skus: SKU ids, shape (n,). actual: ``Panel.actual`` over the shop's dates, (n, T).
        last_index: each SKU's last period. category: global category code per SKU or None.
        price, promo: ``Panel.price`` / ``Panel.promo`` or None.
        folder: where the chunk and its own slot sums are kept.
        events: see below.
    """

    skus: np.ndarray
    actual: np.ndarray
    last_index: np.ndarray
    category: np.ndarray | None
    price: np.ndarray | None
    promo: np.ndarray | None
    folder: Path
    #: User event codes per SKU and period, (n, T + F) (``calendar.EventCodes.codes``) or None.
    events: np.ndarray | None = None


@dataclass(frozen=True)
class CutStats:
    """The shop at one cut: its calendar, weekday share and pooled yearly profiles.

    Attributes:
        cut: periods seen. open_weekdays: (7,). closed_mask: days masked out of fit values.
        closed_days: ``ShopDays.closed_days``. weekday_share: (7,).
        categories: per round, the pooled profile of each category code (None: no season).
    """

    cut: int
    open_weekdays: np.ndarray
    closed_mask: np.ndarray
    closed_days: np.ndarray
    weekday_share: np.ndarray | None = None
    categories: tuple[dict[int, np.ndarray], ...] = ()
    #: The shop's pooled log-lift per user event code (``calendar.lifts_from_sums``) or None.
    event_lifts: tuple[float, ...] | None = None
    #: The shop's pooled price and promotion effects (``price.prior_from_sums``) or None.
    price_prior: PricePrior | None = None


@dataclass(frozen=True)
class ShopStats:
    """What ``pool_shop`` learnt: the shop's dates and grain and its statistics per cut."""

    dates: pd.DatetimeIndex
    grain: Grain
    cuts: dict[int, CutStats]
    #: The user events' names (code k is ``event_names[k - 1]``); empty without events.
    event_names: tuple[str, ...] = ()


def save_chunk(chunk: Chunk) -> Path:
    """Write a chunk's matrices into its folder (read back by ``load_chunk``)."""
    chunk.folder.mkdir(parents=True, exist_ok=True)
    arrays = {"skus": chunk.skus.astype(str), "actual": chunk.actual,
              "last_index": chunk.last_index}
    for name in ("category", "price", "promo", "events"):
        if getattr(chunk, name) is not None:
            arrays[name] = getattr(chunk, name)
    np.savez(chunk.folder / "chunk.npz", **arrays)
    return chunk.folder


def load_chunk(folder: Path) -> Chunk:
    """The chunk saved in ``folder``."""
    with np.load(Path(folder) / "chunk.npz") as data:
        fields = {name: (data[name] if name in data else None)
                  for name in ("category", "price", "promo", "events")}
        return Chunk(skus=data["skus"].astype(object), actual=data["actual"],
                     last_index=data["last_index"], folder=Path(folder), **fields)


def _calendar_sums(chunk: Chunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    known = ~np.isnan(chunk.actual)
    first = np.where(known.any(axis=1), np.argmax(known, axis=1), chunk.actual.shape[1])
    return np.nansum(chunk.actual, axis=0), known.sum(axis=0), first


def _calendar(folders: Sequence[Path], dates: pd.DatetimeIndex, grain: Grain,
              cuts: Sequence[int]) -> dict[int, CutStats]:
    totals, observed = np.zeros(len(dates)), np.zeros(len(dates), dtype=np.int64)
    firsts, n_skus = [], 0
    for folder in folders:
        chunk_totals, chunk_observed, first = _calendar_sums(load_chunk(folder))
        totals, observed = totals + chunk_totals, observed + chunk_observed
        firsts.append(first)
        n_skus += len(first)
    first = np.concatenate(firsts)
    stats = {}
    for cut in cuts:
        # The whole panel keeps every SKU; a truncated one only those with data before the cut.
        n_rows = n_skus if cut == len(dates) else int(np.sum(first < cut))
        days = dates[:cut]
        open_days = closed_weekdays_from(totals[:cut], n_rows, days, grain)
        mask = closed_mask_from(observed[:cut], totals[:cut], n_rows, days, open_days, grain)
        stats[cut] = CutStats(cut, open_days, mask, mask | (observed[:cut] == 0))
    return stats


def _panel_at(chunk: Chunk, stats: CutStats, shop: ShopStats) -> Panel:
    actual = chunk.actual[:, :stats.cut]
    return Panel(
        skus=chunk.skus, dates=shop.dates[:stats.cut], actual=actual,
        fit_values=np.where(stats.closed_mask[None, :], np.nan, actual),
        last_index=np.minimum(chunk.last_index, stats.cut - 1),
        open_weekdays=stats.open_weekdays, weekday_share=stats.weekday_share, grain=shop.grain,
        category=chunk.category,
    )


def _weekday_means(panel: Panel, *, weeks: int = 26) -> np.ndarray:
    """Each SKU's mean demand per weekday, (n, 7), 0 where unknown (``shop_weekday_share``)."""
    values = panel.fit_values[:, -weeks * 7:]
    weekday = panel.dates[-values.shape[1]:].weekday.to_numpy()
    means = np.zeros((len(panel.skus), 7))
    for day in range(7):
        part = values[:, weekday == day]
        counts = np.sum(~np.isnan(part), axis=1)
        sums = np.nansum(part, axis=1)
        means[:, day] = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    return means


class _Running:
    """A sum over rows added chunk by chunk in row order, so it is bit for bit the whole
    panel's ``sum(axis=0)`` (numpy adds the rows of a column one after the other)."""

    def __init__(self) -> None:
        self.total: np.ndarray | None = None

    def add(self, rows: np.ndarray) -> None:
        if len(rows) == 0:
            return
        stack = rows if self.total is None else np.vstack([self.total[None, :], rows])
        self.total = np.cumsum(stack, axis=0)[-1]


def _season_inputs(panel: Panel) -> tuple[np.ndarray, pd.DatetimeIndex, np.ndarray]:
    """``with_yearly``'s weekday-adjusted recent values, their dates and the groups."""
    profile = weekday_profile(panel)
    season = profile[:, panel.dates.weekday.to_numpy()]
    adjusted = np.where(season > 0, panel.fit_values / np.maximum(season, 1e-12), np.nan)
    groups = np.zeros(len(panel.skus), dtype=int) if panel.category is None else panel.category
    recent = int(_SEASON_YEARS * periods_per_year(panel.grain))
    return adjusted[:, -recent:], panel.dates[-recent:], groups


def _round_sums(values: np.ndarray, dates: pd.DatetimeIndex, grain: Grain,
                profiles: np.ndarray) -> tuple[np.ndarray, ...]:
    """One round of ``yearly_profiles``: the per-SKU slot sums ``num, den, years``."""
    position, s = yearly_slots(dates, grain)
    factors = season_factors(profiles, dates.to_numpy(), grain)
    level = _moving_mean(values / factors, int(round(periods_per_year(grain))))
    return _slot_sums(values, level, np.floor(position).astype(int), grain, s)


def _pool_categories(sums: dict) -> dict:
    """``season._pooled``'s shop and category profiles from the running slot sums: ``sums``
    holds ``("shop", "num")``, ``("shop", "den")`` and ``(code, "num" | "den")``."""
    shop = _normalise(_smooth(
        sums["shop", "num"].total / np.maximum(sums["shop", "den"].total, 1e-9), 0.3
    ))
    categories = {}
    for code in {key[0] for key in sums if key[0] != "shop"}:
        units = sums[code, "den"].total
        weight = units / (units + _K_CATEGORY)
        own = sums[code, "num"].total / np.maximum(units, 1e-9)
        categories[code] = _normalise(_smooth(weight * own + (1 - weight) * shop, 0.1))
    return categories


def _apply(sums: tuple[np.ndarray, ...], groups: np.ndarray, categories: dict) -> np.ndarray:
    """Per-SKU profiles: own slot ratios shrunk towards the pooled category (``_pooled``)."""
    num, den, years = sums
    own = num / np.maximum(den, 1e-9)
    weight = np.clip(years, 0, 1) ** 2 * den / (den + _K_SKU)
    pooled = np.stack([categories[int(code)] for code in groups]) if len(groups) else own
    return _normalise(_smooth(weight * own + (1 - weight) * pooled, 0.2))


def _sums_file(chunk: Chunk, cut: int, round_no: int) -> Path:
    return chunk.folder / f"season_{cut}_{round_no}.npz"


def _season_round(chunk: Chunk, stats: CutStats, sums: dict, *, shop: ShopStats,
                  round_no: int) -> None:
    """Add a chunk's slot sums of ``round_no`` at one cut to the running ``sums`` and keep its
    own in its folder."""
    values, dates, groups = _season_inputs(_panel_at(chunk, stats, shop))
    profiles = np.ones((len(chunk.skus), yearly_slots(dates[:1], shop.grain)[1]))
    if round_no == 1:
        profiles = _apply(_load_sums(chunk, stats.cut, 0), groups, stats.categories[0])
    num, den, years = _round_sums(values, dates, shop.grain, profiles)
    np.savez(_sums_file(chunk, stats.cut, round_no), num=num, den=den, years=years)
    for key, rows in (("shop", slice(None)), *((int(c), groups == c) for c in np.unique(groups))):
        sums.setdefault((key, "num"), _Running()).add(num[rows])
        sums.setdefault((key, "den"), _Running()).add(den[rows])


def _load_sums(chunk: Chunk, cut: int, round_no: int) -> tuple[np.ndarray, ...]:
    with np.load(_sums_file(chunk, cut, round_no)) as data:
        return data["num"], data["den"], data["years"]


def _pooled_pass(folders: Sequence[Path], shop: ShopStats, fn) -> dict[int, dict]:
    """``fn(chunk, stats, sums)`` per chunk and cut, in SKU order; the running sums by cut."""
    sums: dict[int, dict] = {cut: {} for cut in shop.cuts}
    for folder in folders:
        chunk = load_chunk(folder)
        for cut, stats in shop.cuts.items():
            fn(chunk, stats, sums[cut])
    return sums


def _add_weekday_means(chunk: Chunk, stats: CutStats, sums: dict, *, shop: ShopStats) -> None:
    sums.setdefault("means", _Running()).add(_weekday_means(_panel_at(chunk, stats, shop)))


def _with(shop: ShopStats, **changes_by_cut: dict) -> ShopStats:
    cuts = {}
    for cut, stats in shop.cuts.items():
        fields = {name: values[cut] for name, values in changes_by_cut.items() if cut in values}
        cuts[cut] = CutStats(**{**stats.__dict__, **fields})
    return ShopStats(shop.dates, shop.grain, cuts, shop.event_names)


def pool_shop(folders: Sequence[Path], dates: pd.DatetimeIndex, grain: Grain,
              cuts: Sequence[int], event_names: tuple[str, ...] = ()) -> ShopStats:
    """The shop's statistics at every cut, from the chunks saved in ``folders`` (four passes,
    and a fifth with user events; see the module docstring).

    Args:
        folders: the chunks (``save_chunk``), in SKU order.
        dates: the shop's periods (every chunk's matrices span them).
        grain: their grain.
        cuts: the backtest origins and ``len(dates)``.
        event_names: the user events' names when the chunks carry event codes.
    """
    shop = ShopStats(dates, grain, _calendar(folders, dates, grain, cuts), event_names)
    means = _pooled_pass(folders, shop, partial(_add_weekday_means, shop=shop))
    shop = _with(shop, weekday_share={
        cut: weekday_share_from(_total(sums), shop.cuts[cut].open_weekdays)
        if grain.kind == "D" else np.full(7, 1 / 7) for cut, sums in means.items()
    })
    seasonal = [cut for cut in cuts if has_yearly_history(cut, grain)]
    for round_no in (0, 1):
        sums = _pooled_pass(folders, _only(shop, seasonal),
                            partial(_season_round, shop=shop, round_no=round_no))
        shop = _with(shop, categories={
            cut: (*shop.cuts[cut].categories, _pool_categories(cut_sums))
            for cut, cut_sums in sums.items()
        })
    if event_names:
        lifts = _pooled_pass(folders, shop, partial(_add_event_sums, shop=shop))
        shop = _with(shop, event_lifts={cut: lifts_from_sums(sums["events"])
                                        for cut, sums in lifts.items()})
    priced = _pooled_pass(folders, shop, partial(_add_price_sums, shop=shop))
    return _with(shop, price_prior={cut: prior_from_sums(sums["price"])
                                    for cut, sums in priced.items() if "price" in sums})


def _add_price_sums(chunk: Chunk, stats: CutStats, sums: dict, *, shop: ShopStats) -> None:
    """The chunk's additive part of the pooled price effects at one cut (sixth pass)."""
    x = price_covariates(chunk.price, chunk.promo, shop.grain, periods=stats.cut)
    if x is None:
        return
    panel = replace(_panel_at(chunk, stats, shop), yearly=_yearly(chunk, stats),
                    events=_events(chunk, shop, stats.event_lifts))
    adjusted, _ = event_adjusted_history(panel, weekday_profile(panel))
    for code, values in price_sums(adjusted, x, chunk.category, shop.grain).items():
        sums.setdefault("price", {})[code] = sums.get("price", {}).get(code, 0.0) + values


def _add_event_sums(chunk: Chunk, stats: CutStats, sums: dict, *, shop: ShopStats) -> None:
    """The chunk's additive part of the pooled event lifts at one cut (fifth pass)."""
    panel = _panel_at(chunk, stats, shop)
    panel = replace(panel, yearly=_yearly(chunk, stats))
    if chunk.events is None:
        return
    codes = EventCodes(codes=chunk.events, names=shop.event_names)
    part = event_lift_sums(adjusted_history(panel, weekday_profile(panel)), codes, shop.grain)
    sums["events"] = part if "events" not in sums else sums["events"] + part


def _events(chunk: Chunk, shop: ShopStats, lifts: tuple[float, ...] | None
            ) -> EventCodes | None:
    if chunk.events is None or not shop.event_names:
        return None
    return EventCodes(codes=chunk.events, names=shop.event_names, pooled=lifts)


def _total(sums: dict) -> np.ndarray:
    running = sums.get("means")
    return np.zeros(7) if running is None or running.total is None else running.total


def _only(shop: ShopStats, cuts: Sequence[int]) -> ShopStats:
    return ShopStats(shop.dates, shop.grain, {c: shop.cuts[c] for c in cuts}, shop.event_names)


def _yearly(chunk: Chunk, stats: CutStats) -> np.ndarray | None:
    if len(stats.categories) < 2:
        return None
    groups = np.zeros(len(chunk.skus), dtype=int) if chunk.category is None else chunk.category
    return _apply(_load_sums(chunk, stats.cut, 1), groups, stats.categories[1])


def chunk_panel(chunk: Chunk, shop: ShopStats) -> Panel:
    """The chunk's panel as part of the whole shop: the shop's calendar, weekday share and
    season at the end of the data and, as ``shop_at``, at every backtest origin."""
    end = len(shop.dates)
    shop_at = {
        cut: ShopDays(open_weekdays=stats.open_weekdays, closed_days=stats.closed_days,
                      weekday_share=stats.weekday_share, yearly=_yearly(chunk, stats),
                      yearly_skus=chunk.skus, event_lifts=stats.event_lifts,
                      price_prior=stats.price_prior)
        for cut, stats in shop.cuts.items() if cut != end
    }
    whole = shop.cuts[end]
    panel = _panel_at(chunk, whole, shop)
    return Panel(
        skus=panel.skus, dates=panel.dates, actual=panel.actual, fit_values=panel.fit_values,
        last_index=chunk.last_index, open_weekdays=whole.open_weekdays,
        weekday_share=whole.weekday_share, shop_at=shop_at, grain=shop.grain,
        category=chunk.category, price=chunk.price, promo=chunk.promo,
        yearly=_yearly(chunk, whole), events=_events(chunk, shop, whole.event_lifts),
        price_prior=whole.price_prior,
    )
