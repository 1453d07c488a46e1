"""The global booster of a chunked run: trained once on a bounded sample of SKUs.

``lgbm`` (``models/global_model.py``) learns across SKUs: its training rows are (SKU, origin,
step) triples of every SKU, about ``n_skus x 12 x h`` rows before it keeps a seeded sample of
``max_rows`` (50,000) of them; at 100,000 SKUs the full matrix alone would take gigabytes. In a
chunked run (``forecast.chunked``) the booster is therefore trained on a *sample panel*: the
SKUs at evenly spaced positions of the sorted SKU list, at most ``SAMPLE_SKUS`` (2,000), built
with the whole shop's pooled calendar and season; when the shop has no more SKUs than that, the
sample is every SKU and the booster is exactly the whole-panel one. The sample is a fixed
function of the SKU list, and the booster is seeded and deterministic, so a run is repeatable.

At each cut (a backtest origin, or the end of the data) the booster trains once on the sample
panel truncated there, and then forecasts every chunk's SKUs from their own features (as
``GlobalBoostForecaster.predict_mean_on`` does).
"""

from __future__ import annotations

import numpy as np

from invdash.forecast.models.global_model import GlobalBoostForecaster
from invdash.forecast.panel import Panel, truncate_panel

__all__ = ["SAMPLE_SKUS", "sample_positions", "BoosterSample", "SampledBoostForecaster"]

#: The most SKUs the chunked run's global booster trains on.
SAMPLE_SKUS = 2_000


def sample_positions(n_skus: int, size: int = SAMPLE_SKUS) -> np.ndarray:
    """Positions of the sampled SKUs in the sorted SKU list: all when ``n_skus <= size``,
    else ``size`` evenly spaced ones (first and last included)."""
    if n_skus <= size:
        return np.arange(n_skus)
    return np.unique(np.linspace(0, n_skus - 1, size).round().astype(int))


class BoosterSample:
    """The sample panel and the boosters trained on it, by (cut, steps)."""

    def __init__(self, panel: Panel) -> None:
        self.panel = panel
        self.boosters: dict[tuple[int, int], object] = {}

    def booster(self, cut: int, steps: int, params: dict):
        """The booster for panels of ``cut`` periods forecasting ``steps`` ahead."""
        key = (cut, steps)
        if key not in self.boosters:
            sample = self.panel if cut == len(self.panel.dates) else truncate_panel(
                self.panel, cut
            )
            trainer = GlobalBoostForecaster(**params).fit_panel(sample)
            self.boosters[key] = GlobalBoostForecaster._train(trainer, sample, steps)
        return self.boosters[key]


class SampledBoostForecaster(GlobalBoostForecaster):
    """``lgbm`` whose booster comes from a ``BoosterSample`` (see the module docstring).

    Args:
        sample: the shared sample and its boosters.
        seed: seed of the booster (the other hyper-parameters are ``lgbm``'s defaults).
    """

    def __init__(self, sample: BoosterSample | None = None, seed: int = 0) -> None:
        super().__init__(seed=seed)
        self.sample = sample

    def _train(self, panel: Panel, h: int):
        params = {k: v for k, v in self.get_params().items() if k != "sample"}
        return self.sample.booster(len(panel.dates), h, params)
