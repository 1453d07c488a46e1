"""New and never-sold SKUs: the similar-products cold start, for the whole and the chunked run.

The whole-panel run (``engine.run_forecast``, model ``auto``, daily sales, product titles at
hand) routes SKUs with under 28 days of history to ``coldstart`` and forecasts catalogue SKUs
that never sold from the products with the most similar titles. This module holds that rule
(``can_cold_start``, ``unsold_skus``, ``unsold_forecasts``) so the chunked run
(``forecast.chunked``) applies the same one:

- The cold start needs only each SKU's own profile (``coldstart.donor_profiles``: its last 56
  days, level, weekday shape and days of history; about 0.5 KB per SKU). ``ProfileCollector``
  takes the profiles chunk by chunk while the chunked run reads the sales, joins them and fits
  one ``SimilarProductForecaster`` from them and the titles. The fitted model is the whole run's:
  the same donors, neighbours and levels (tested: chunked equals whole).
- ``prefitted(model)`` is a factory for ``engine.fit_and_assemble`` that hands that model over
  as fitted, so the new SKUs' rows are assembled exactly as in the whole run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from invdash.forecast.models.base import finalize_forecasts
from invdash.forecast.models.coldstart import (
    SimilarProductForecaster,
    donor_profiles,
    join_profiles,
)
from invdash.schema import SKU

__all__ = ["can_cold_start", "unsold_skus", "unsold_forecasts", "ProfileCollector", "prefitted"]

_REASON = "no sales yet: demand of products with similar names"


def can_cold_start(products: pd.DataFrame | None, model: str, grain_kind: str = "D") -> bool:
    """True when ``auto`` on daily sales has product titles to borrow demand by."""
    return (
        model == "auto" and grain_kind == "D" and products is not None
        and "name" in products.columns and bool(products["name"].notna().any())
    )


def unsold_skus(sold: Iterable[str], products: pd.DataFrame) -> set[str]:
    """Catalogue SKUs without any sales row (forecast from similar products)."""
    return set(products[SKU].astype(str)) - {str(s) for s in sold}


def unsold_forecasts(model: SimilarProductForecaster, horizon: int, unsold: set[str]
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fitted cold start's forecasts of the never-sold SKUs, and their choice rows."""
    frame = model.predict(horizon)
    frame = finalize_forecasts(frame[frame[SKU].astype(str).isin(unsold)], "coldstart")
    frame["model"] = "coldstart"
    rows = pd.DataFrame({
        SKU: sorted(unsold), "model": "coldstart", "members": [("coldstart",)] * len(unsold),
        "demand_class": "new", "reason": _REASON, "score": np.nan,
    })
    return frame, rows


class _Fitted:
    """A fitted model whose ``fit`` keeps what it learnt (see ``prefitted``)."""

    def __init__(self, model: SimilarProductForecaster) -> None:
        self.model = model

    def fit(self, sales: object, **_: object) -> SimilarProductForecaster:  # noqa: ARG002
        return self.model


def prefitted(model: SimilarProductForecaster) -> Callable[[], _Fitted]:
    """A model factory for ``fit_and_assemble`` that hands ``model`` over already fitted."""
    return lambda: _Fitted(model)


class ProfileCollector:
    """The cold start's donor profiles, gathered chunk by chunk (module docstring)."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, sales: pd.DataFrame) -> None:
        """Profile one chunk's SKUs from their (validated) long sales."""
        if len(sales):
            self.parts.append(donor_profiles(sales))

    def fit(self, products: pd.DataFrame) -> SimilarProductForecaster:
        """The cold start fitted on every chunk's profiles and the product titles."""
        return SimilarProductForecaster(seed=self.seed).fit_profiles(
            join_profiles(self.parts), products=products
        )
