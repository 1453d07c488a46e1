"""Reading the store into SKU chunks on disk: the first step of every chunked run.

``read_store_chunks(conn, chunk_skus=...)`` (a context manager) reads the shop's SKUs and dates
from SQL, then each chunk's sales once (``store.load_sales`` over a SKU range), pivots them into
a ``pooled.Chunk`` (the demand, price and promotion matrices, category codes and the user
events' codes) and keeps it in a temporary folder (about 3 x 8 bytes per SKU-day on disk),
removed when the block ends. On the way it takes each SKU's cold-start donor profile when the
run wants the similar-products cold start (``forecast.newskus``) and fits that model once the
last chunk is read. After the block's first line every read of ``conn`` is done, so a caller
may close it (the CLI does, so the dashboard can open the file during the long part).

``StoreChunks.pool(cuts)`` then takes the shop's pooled statistics at every cut in passes over
the folders (``pooled.pool_shop``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from invdash import store
from invdash.forecast.calendar import event_code_matrix, validate_events, with_public_holidays
from invdash.forecast.covariates import category_codes, covariate_matrices
from invdash.forecast.grain import DAILY, period_range
from invdash.forecast.models.coldstart import SimilarProductForecaster
from invdash.forecast.newskus import ProfileCollector, unsold_skus
from invdash.forecast.panel import actual_matrix
from invdash.forecast.pooled import Chunk, ShopStats, pool_shop, save_chunk
from invdash.store import forecasts as forecast_sql
from invdash.store.events import load_events

__all__ = ["StoreChunks", "read_store_chunks"]

Progress = Callable[[int, int, str], None]


@dataclass
class StoreChunks:
    """The store read into chunk folders (``read_store_chunks``).

    Attributes:
        skus: every SKU with sales, sorted. dates: the shop's days. products: the product table.
        folders: the chunks, in SKU order. events: the user events (None without).
        cold_model: the fitted cold start (None unless asked for). unsold: catalogue SKUs
            without sales (forecast by the cold start).
    """

    skus: list[str]
    dates: pd.DatetimeIndex
    products: pd.DataFrame
    folders: list[Path] = field(default_factory=list)
    events: _Events | None = None
    cold_model: SimilarProductForecaster | None = None
    unsold: set[str] = field(default_factory=set)

    def pool(self, cuts: Sequence[int], progress: Progress | None = None) -> ShopStats:
        """The shop's pooled statistics at ``cuts`` (backtest origins and the end)."""
        if progress is not None:
            progress(0, 1, "pooled statistics")
        return pool_shop(self.folders, self.dates, DAILY, cuts,
                         event_names=() if self.events is None else self.events.names)


@contextmanager
def read_store_chunks(  # noqa: PLR0913 - the run's options that reading needs
    conn: duckdb.DuckDBPyConnection, *, chunk_skus: int, cold_start: bool = False,
    seed: int = 0, progress: Progress | None = None, holidays: tuple[str | None, int] = (None, 0),
) -> Iterator[StoreChunks]:
    """Read every SKU's sales into chunk folders (module docstring); the folders are removed
    when the block ends. ``holidays``: the run's country and horizon in days (its public
    holidays join the user events, ``calendar.with_public_holidays``)."""
    skus, dates = forecast_sql.sales_skus(conn), _shop_dates(conn)
    products = store.load_products(conn)
    data = StoreChunks(skus=skus, dates=dates, products=products,
                       events=_store_events(conn, products, dates, holidays))
    profiles = ProfileCollector(seed=seed) if cold_start else None
    codes = _codes(skus, products)
    with tempfile.TemporaryDirectory(prefix="invdash-chunks-") as tmp:
        groups = [skus[k:k + chunk_skus] for k in range(0, len(skus), chunk_skus)]
        for k, group in enumerate(groups):
            if progress is not None:
                progress(k, len(groups), "reading sales chunks")
            data.folders.append(_read_chunk(
                conn, group, dates=dates, codes=codes, folder=Path(tmp) / f"chunk{k:05d}",
                profiles=profiles, events=data.events,
            ))
        if profiles is not None:
            data.cold_model = profiles.fit(products)
            data.unsold = unsold_skus(skus, products)
        yield data


def _shop_dates(conn: duckdb.DuckDBPyConnection) -> pd.DatetimeIndex:
    totals = forecast_sql.daily_totals(conn)
    return period_range(totals["date"].min(), totals["date"].max(), DAILY)


def _read_chunk(conn: duckdb.DuckDBPyConnection, skus: Sequence[str], *,  # noqa: PLR0913
                dates: pd.DatetimeIndex, codes: pd.Series | None, folder: Path,
                profiles: ProfileCollector | None, events: _Events | None) -> Path:
    sales = store.load_sales(conn, sku_range=(skus[0], skus[-1]), end=dates[-1])
    if profiles is not None:
        profiles.add(sales)
    names, actual, last = actual_matrix(sales, dates, DAILY)
    covariates = covariate_matrices(sales, None, names, dates, DAILY)
    category = None if codes is None else codes.reindex(names).to_numpy()
    return save_chunk(Chunk(
        skus=np.asarray(names, dtype=object), actual=actual, last_index=last, category=category,
        folder=folder, events=None if events is None else events.codes(names, dates),
        **covariates,
    ))


@dataclass(frozen=True)
class _Events:
    """The store's user events, coded per chunk as the whole panel codes them."""

    frame: pd.DataFrame
    products: pd.DataFrame | None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self.frame["event"].unique()))

    def codes(self, skus: pd.Index, dates: pd.DatetimeIndex) -> np.ndarray:
        """(n, T + F) codes, zeros for a chunk no event names (every chunk spans the same)."""
        return event_code_matrix(self.frame, pd.Index(skus), dates, DAILY, self.products,
                                 keep_empty=True).codes


def _store_events(conn: duckdb.DuckDBPyConnection, products: pd.DataFrame,
                  dates: pd.DatetimeIndex, holidays: tuple[str | None, int]) -> _Events | None:
    country, horizon = holidays
    frame = with_public_holidays(
        load_events(conn), country=country, start=dates[0],
        end=dates[-1] + pd.Timedelta(days=horizon + 1), grain=DAILY,
    )
    if frame is None or frame.empty:
        return None
    return _Events(validate_events(frame), products if len(products) else None)


def _codes(skus: list[str], products: pd.DataFrame) -> pd.Series | None:
    codes = category_codes(pd.Index(skus), products if len(products) else None)
    return None if codes is None else pd.Series(codes, index=pd.Index(skus))


