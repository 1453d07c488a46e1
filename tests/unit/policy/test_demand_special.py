"""The daily demand of the policy and the projected stock use ``scipy.special`` instead of
``scipy.stats`` (branch h-pages3): importing scipy.stats cost 2-5 s of the SKU Explorer's first
open at 100,000 SKUs. The special functions give exactly the numbers scipy.stats gave."""

from __future__ import annotations

import numpy as np
from scipy import stats

from invdash.policy import demand
from invdash.schema import QUANTILE_COLUMNS, QUANTILES


def test_the_unit_gamma_quantiles_equal_scipy_stats_bit_for_bit():
    levels = np.array([QUANTILES[QUANTILE_COLUMNS.index(c)] for c in demand.FIT_COLUMNS])
    shapes = demand._SHAPES
    expected = stats.gamma.ppf(levels[None, :], shapes[:, None], scale=1 / shapes[:, None])
    found = demand._unit_gamma_ppf(levels[None, :], shapes[:, None])
    assert found.shape == (len(shapes), len(levels))
    np.testing.assert_array_equal(found, expected)
    wide = np.linspace(0.001, 0.999, 37)  # every level in (0, 1), not only the fitted ones
    np.testing.assert_array_equal(
        demand._unit_gamma_ppf(wide[None, :], shapes[:, None]),
        stats.gamma.ppf(wide[None, :], shapes[:, None], scale=1 / shapes[:, None]),
    )


def test_the_lead_time_weights_equal_those_from_scipy_stats():
    lead = np.array([1.0, 3.2, 7.0, 14.5, 30.0])
    lead_sd = np.array([0.0, 0.7, 2.0, 5.0, 0.0])
    max_lead = 45
    days = np.arange(1, max_lead + 1)[None, :]
    sd = np.where(lead_sd > 0, lead_sd, 1.0)[:, None]
    upper = np.where(days == max_lead, 1.0, stats.norm.cdf((days + 0.5 - lead[:, None]) / sd))
    lower = np.where(days == 1, 0.0, stats.norm.cdf((days - 0.5 - lead[:, None]) / sd))
    fixed = np.clip(np.floor(lead + 0.5), 1, max_lead).astype(int)
    point = (days == fixed[:, None]).astype(float)
    expected = np.where((lead_sd > 0)[:, None], upper - lower, point)
    found = demand._lead_time_weights(lead, lead_sd, max_lead)
    np.testing.assert_array_equal(found, expected)
    np.testing.assert_allclose(found.sum(axis=1), 1.0)


def test_the_projected_stock_imports_no_scipy_stats(loaded_after):
    heavy = ("scipy.stats", "invdash.forecast.engine", "invdash.forecast.panel")
    code = (
        "import pandas as pd\n"
        "from invdash.reorder.projection import sku_projection, sku_policy_line\n"
        "from invdash.policy import project_stock\n"
        "from invdash.schema import QUANTILE_COLUMNS, QUANTILES\n"
        "days = pd.date_range('2024-01-02', periods=5)\n"
        "forecasts = pd.DataFrame({'sku': 'A', 'date': days, 'model': 'ma', 'mean': 2.0,\n"
        "    **{c: 4.0 * q for c, q in zip(QUANTILE_COLUMNS, QUANTILES)}})\n"
        "bands = project_stock(forecasts, pd.DataFrame({'sku': ['A'], 'on_hand': [9.0]}), None)\n"
        "assert len(bands) == 5 and bands['p50'].iloc[0] < 9.0\n"
    )
    assert loaded_after(code, heavy) == []
