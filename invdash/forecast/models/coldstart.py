"""Cold start: forecast new SKUs from the products whose titles are most similar.

Design:

- Titles (``products.name``) are embedded once with the offline MiniLM encoder
  (``invdash.runtime.embeddings.embed_texts``); cosine similarity picks, for every SKU with
  fewer than
  ``min_history_days`` days of sales (or none at all: in ``products`` but not in ``sales``), its
  ``k`` most similar *donors*, the SKUs with at least ``min_history_days`` days of history.
- Neighbour weights are a softmax of the similarities with temperature 0.1, so a clearly closer
  title counts far more than a loosely related one (MiniLM cosines of related titles sit around
  0.5-0.8, unrelated ones around 0-0.2).
- **Level**: the weighted median of the donors' recent level (mean demand over their last 28
  observed days). The recent level, not the donors' first weeks after launch, because most donors'
  launch lies before the data begins, so their "first weeks" in the data are not launch weeks; the
  median keeps one best-seller among the neighbours from setting the level. A SKU with a few days
  of its own blends its own mean in with weight ``days / min_history_days``.
- **Shape**: the donors' weighted day-of-week profile (mean by weekday over their last 56 days
  relative to their mean).
- **Quantiles**: weighted quantiles of the pooled daily demand of the donors over their last 56
  observed days, rescaled by ``level / donors' median level``: the spread both within a day and
  between neighbours, and zero-heavy for intermittent neighbours.
- SKUs with enough history are forecast the same way with themselves as the only donor (a
  28-day-mean, weekday-shaped, empirical-quantile forecast), so every SKU gets ``h`` rows; the
  engine routes only new SKUs here.
- Without ``products`` (or without names) every donor is equally similar: new SKUs get the
  catalogue-wide profile.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.forecast.models.base import (
    Forecaster,
    check_is_fitted,
    finalize_forecasts,
    future_dates,
)
from invdash.forecast.models.neural_data import DemandPanel, build_panel
from invdash.schema import (
    MEAN,
    QUANTILE_COLUMNS,
    QUANTILES,
    SKU,
    ConfigError,
    InvalidDataError,
    validate_sales,
)

__all__ = ["SimilarProductForecaster", "similar_products", "donor_profiles", "join_profiles"]

_LEVEL_DAYS = 28
_SHAPE_DAYS = 56
_TEMPERATURE = 0.1
_NAME = "name"
#: New SKUs compared with every donor at a time (bounds the similarity matrix at 100,000 SKUs).
_QUERY_BLOCK = 512


def similar_products(products: pd.DataFrame, sku: str, k: int = 10) -> pd.DataFrame:
    """The ``k`` products whose titles are most similar to ``sku``'s title.

    Args:
        products: product table with ``sku`` and ``name``.
        sku: the product to find neighbours for (must be in ``products``).
        k: number of neighbours.

    Returns:
        Frame ``sku, name, similarity`` (cosine similarity in [-1, 1]), most similar first,
        without ``sku`` itself.

    Raises:
        InvalidDataError: ``products`` lacks ``sku``/``name`` or does not contain ``sku``.
    """
    missing = [c for c in (SKU, _NAME) if c not in products]
    if missing:
        raise InvalidDataError(f"products is missing column(s) {', '.join(missing)}.")
    catalog = products.assign(**{SKU: products[SKU].astype(str)}).drop_duplicates(SKU)
    catalog = catalog.reset_index(drop=True)
    matches = np.flatnonzero(catalog[SKU].to_numpy() == str(sku))
    if len(matches) == 0:
        raise InvalidDataError(f"SKU {sku} is not in products; pick a SKU from the product table.")
    from invdash.runtime.embeddings import embed_texts, most_similar

    vectors = embed_texts(catalog[_NAME].fillna("").astype(str).tolist())
    others = np.delete(np.arange(len(catalog)), matches[0])
    if len(others) == 0 or k < 1:
        return pd.DataFrame({SKU: [], _NAME: [], "similarity": []})
    index, score = most_similar(vectors[matches[:1]], vectors[others], k=k)
    chosen = catalog.iloc[others[index[0]]]
    return pd.DataFrame({
        SKU: chosen[SKU].to_numpy(), _NAME: chosen[_NAME].to_numpy(), "similarity": score[0],
    })


def _recent_windows(panel: DemandPanel, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Last ``days`` of each SKU's life: ``(qty, observed)``, each ``(n_skus, days)``."""
    offsets = panel.last_index[:, None] + np.arange(-days + 1, 1)[None, :]
    inside = offsets >= 0
    rows = np.arange(len(panel.skus))[:, None]
    values = panel.values[rows, np.clip(offsets, 0, None)]
    return values[..., 0] * inside, values[..., 1] * inside


def donor_profiles(sales: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every SKU's profile from its own sales (validated long frame): ``sku``, ``last_date``,
    ``level``, weekday ``shape``, the recent ``sample`` and ``observed`` days, ``history_days``."""
    panel = build_panel(sales)
    return {SKU: panel.skus.astype(str), "last_date": panel.last_dates.to_numpy(),
            **_panel_profiles(panel)}


def join_profiles(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The profiles of disjoint SKU sets as one (rows in the order given)."""
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def _panel_profiles(panel: DemandPanel) -> dict[str, np.ndarray]:
    """Level, weekday shape and the recent sample of every SKU in ``panel``."""
    qty, observed = _recent_windows(panel, _SHAPE_DAYS)
    recent = observed[:, -_LEVEL_DAYS:]
    level = (qty[:, -_LEVEL_DAYS:] * recent).sum(1) / np.maximum(recent.sum(1), 1.0)
    window_start = panel.start + pd.to_timedelta(panel.last_index - _SHAPE_DAYS + 1, "D")
    start_weekday = window_start.dayofweek
    weekday = (start_weekday.to_numpy()[:, None] + np.arange(_SHAPE_DAYS)[None, :]) % 7
    sums = np.zeros((len(level), 7))
    counts = np.zeros((len(level), 7))
    rows = np.repeat(np.arange(len(level)), _SHAPE_DAYS)
    np.add.at(sums, (rows, weekday.ravel()), (qty * observed).ravel())
    np.add.at(counts, (rows, weekday.ravel()), observed.ravel())
    by_day = sums / np.maximum(counts, 1.0)
    overall = (qty * observed).sum(1) / np.maximum(observed.sum(1), 1.0)
    relative = by_day / np.where(overall > 0, overall, 1.0)[:, None]
    shape = np.where((overall[:, None] > 0) & (counts > 0), relative, 1.0)
    return {"level": level, "shape": shape, "sample": qty, "observed": observed,
            "history_days": panel.values[..., 1].sum(1)}


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise weighted median of ``values`` (both ``(n, k)``)."""
    order = np.argsort(values, axis=1)
    values = np.take_along_axis(values, order, 1)
    cumulative = np.cumsum(np.take_along_axis(weights, order, 1), axis=1)
    position = (cumulative >= 0.5 * cumulative[:, -1:]).argmax(1)
    return values[np.arange(len(values)), position]


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise weighted quantiles ``QUANTILES`` of ``values``: ``(n, m) -> (n, Q)``."""
    order = np.argsort(values, axis=1)
    values = np.take_along_axis(values, order, 1)
    cumulative = np.cumsum(np.take_along_axis(weights, order, 1), axis=1)
    cumulative = cumulative / np.maximum(cumulative[:, -1:], 1e-12)
    levels = np.asarray(QUANTILES)
    position = (cumulative[:, None, :] >= levels[None, :, None] - 1e-12).argmax(2)
    return np.take_along_axis(values, position, 1)


class SimilarProductForecaster(Forecaster):
    """Forecast new SKUs from the ``k`` products with the most similar titles.

    Args:
        seed: unused (the method is deterministic); kept for the common contract.
        k: number of similar donor products per new SKU.
        min_history_days: SKUs with fewer known days than this are new.
    """

    name = "coldstart"

    def __init__(self, seed: int = 0, k: int = 10, min_history_days: int = 28) -> None:
        self.seed = seed
        self.k = k
        self.min_history_days = min_history_days

    def fit(self, sales: pd.DataFrame, *, products: pd.DataFrame | None = None
            ) -> SimilarProductForecaster:
        """Learn every SKU's profile and each new SKU's neighbours.

        Args:
            sales: the long sales frame.
            products: product table ``sku, name, ...``; its SKUs absent from ``sales`` are
                forecast too (as brand-new products).

        Raises:
            InvalidDataError: ``sales`` breaks the sales contract or is empty.
            ConfigError: ``k`` or ``min_history_days`` below 1.
        """
        validate_sales(sales)
        if len(sales) == 0:
            raise InvalidDataError("sales is empty; fit needs the history of the donor products.")
        return self.fit_profiles(donor_profiles(sales), products=products)

    def fit_profiles(self, profiles: dict[str, np.ndarray], *,
                     products: pd.DataFrame | None = None) -> SimilarProductForecaster:
        """``fit`` from ``donor_profiles`` already taken (of one frame, or of SKU chunks joined
        by ``join_profiles``: a SKU's profile depends on its own sales only)."""
        if self.k < 1 or self.min_history_days < 1:
            raise ConfigError(
                f"k and min_history_days must be >= 1, got k={self.k}, "
                f"min_history_days={self.min_history_days}."
            )
        if len(profiles[SKU]) == 0:
            raise InvalidDataError("sales is empty; fit needs the history of the donor products.")
        catalog = self._catalog(profiles, products)
        self.neighbours_ = self._neighbours(catalog, profiles)
        self.profiles_ = profiles
        self.catalog_ = catalog
        return self

    def _catalog(self, profiles: dict[str, np.ndarray], products: pd.DataFrame | None
                 ) -> pd.DataFrame:
        """One row per SKU to forecast: ``sku, name, row`` (row in the panel, -1 if unseen)."""
        skus = profiles[SKU]
        catalog = pd.DataFrame({SKU: skus.astype(str), "row": np.arange(len(skus))})
        catalog["last_date"] = profiles["last_date"]
        if products is not None and SKU in products:
            names = products.assign(**{SKU: products[SKU].astype(str)}).drop_duplicates(SKU)
            names = names[[SKU, *([_NAME] if _NAME in names else [])]]
            catalog = catalog.merge(names, on=SKU, how="outer")
        if _NAME not in catalog:
            catalog[_NAME] = ""
        catalog["row"] = catalog["row"].fillna(-1).astype(int)
        catalog["last_date"] = catalog["last_date"].fillna(profiles["last_date"].max())
        return catalog.sort_values(SKU, ignore_index=True)

    def _neighbours(self, catalog: pd.DataFrame, profiles: dict[str, np.ndarray]
                    ) -> tuple[np.ndarray, np.ndarray]:
        """``(donor_rows, weights)`` per catalog SKU, each ``(n, k)``; established SKUs: self."""
        rows = catalog["row"].to_numpy()
        history = np.where(rows >= 0, profiles["history_days"][np.maximum(rows, 0)], 0.0)
        is_donor = (rows >= 0) & (history >= self.min_history_days)
        # Without any established SKU, every SKU with some sales lends its profile.
        donors = np.flatnonzero(is_donor if is_donor.any() else rows >= 0)
        k = min(self.k, max(len(donors), 1))
        neighbour_rows = np.repeat(np.maximum(rows, 0)[:, None], k, axis=1)
        weights = np.zeros((len(catalog), k))
        weights[:, 0] = 1.0
        new = np.flatnonzero(~is_donor)
        if len(donors) and len(new):
            index, weight = self._similar_donors(catalog, new, donors, k)
            neighbour_rows[new] = rows[donors][index]
            weights[new] = weight
        self.is_new_ = pd.Series(~is_donor, index=catalog[SKU].to_numpy())
        self.own_share_ = np.where(is_donor, 1.0, np.clip(history / self.min_history_days, 0, 1))
        return neighbour_rows, weights

    @staticmethod
    def _similar_donors(catalog: pd.DataFrame, new: np.ndarray, donors: np.ndarray, k: int
                        ) -> tuple[np.ndarray, np.ndarray]:
        names = catalog[_NAME].fillna("").astype(str)
        if (names != "").any():
            from invdash.runtime.embeddings import embed_texts, most_similar

            vectors = embed_texts(names.tolist())
            pairs = [most_similar(vectors[new[at:at + _QUERY_BLOCK]], vectors[donors], k=k)
                     for at in range(0, len(new), _QUERY_BLOCK)]
            index = np.concatenate([p[0] for p in pairs])
            score = np.concatenate([p[1] for p in pairs])
        else:
            index = np.tile(np.arange(k), (len(new), 1))
            score = np.zeros((len(new), k))
        weight = np.exp((score - score[:, :1]) / _TEMPERATURE)
        return index, weight / weight.sum(1, keepdims=True)

    def predict(self, h: int, *, future: pd.DataFrame | None = None) -> pd.DataFrame:  # noqa: ARG002
        """Forecast ``h`` days for every SKU of ``sales`` and ``products``.

        ``future`` is accepted for the common contract and ignored (titles carry no promo effect).
        Brand-new SKUs start the day after the last date of the sales data.
        """
        check_is_fitted(self, "neighbours_")
        if int(h) != h or h < 1:
            raise ConfigError(f"h must be a positive integer number of days, got {h}.")
        h = int(h)
        level, quantiles, shape = self._profiles()
        frame = future_dates(self.catalog_.set_index(SKU)["last_date"], h)
        weekday = frame["date"].dt.dayofweek.to_numpy().reshape(len(self.catalog_), h)
        factor = np.take_along_axis(shape, weekday, 1)
        frame[MEAN] = (level[:, None] * factor).ravel()
        values = quantiles[:, None, :] * factor[..., None]
        frame[list(QUANTILE_COLUMNS)] = values.reshape(-1, len(QUANTILES))
        return finalize_forecasts(frame, self.name)

    def _profiles(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per catalog SKU: level, quantiles ``(n, Q)`` and weekday shape ``(n, 7)``."""
        rows, weights = self.neighbours_
        profiles = self.profiles_
        donor_level = _weighted_median(profiles["level"][rows], weights)
        own_rows = np.maximum(self.catalog_["row"].to_numpy(), 0)
        own_level = np.where(self.catalog_["row"].to_numpy() >= 0, profiles["level"][own_rows], 0)
        level = self.own_share_ * own_level + (1 - self.own_share_) * donor_level
        level = np.where(self.is_new_.to_numpy(), level, profiles["level"][own_rows])
        shape = (profiles["shape"][rows] * weights[..., None]).sum(1)
        sample = profiles["sample"][rows]
        observed = profiles["observed"][rows]
        sample_weight = observed * (weights / np.maximum(observed.sum(2), 1.0))[..., None]
        ratio = np.where(donor_level > 0, level / np.where(donor_level > 0, donor_level, 1), 1.0)
        quantiles = _weighted_quantiles(
            sample.reshape(len(rows), -1), sample_weight.reshape(len(rows), -1)
        ) * ratio[:, None]
        return level, quantiles, shape

