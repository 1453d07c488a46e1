"""Exact Shapley values with the shap library, kept as one matrix per number of players."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

__all__ = ["coalitions", "shapley_matrix"]


def coalitions(n_players: int) -> np.ndarray:
    """All ``2^k`` coalitions as 0/1 rows; row ``i`` holds the bits of ``i``."""
    return ((np.arange(2**n_players)[:, None] >> np.arange(n_players)[None, :]) & 1).astype(float)


def _shapley(
    game: Callable[[np.ndarray], np.ndarray], n_players: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exact Shapley values of ``game`` (masks (m, k) -> outputs (m, h)) with the shap library.

    ``shap.KernelExplainer`` with one all-off background row and ``nsamples >= 2^k`` enumerates
    every coalition, so its weighted regression returns the exact Shapley values (checked
    against the Shapley formula in the tests). It is preferred to ``shap.explainers.Exact``,
    which compiles numba kernels for about a minute on first use in each process.

    Returns:
        ``(values, base)``: values shape (k, h), base (the all-off output) shape (h,).
    """
    import shap

    explainer = shap.KernelExplainer(game, np.zeros((1, n_players)))
    values = np.asarray(
        explainer.shap_values(np.ones((1, n_players)), nsamples=2**n_players, silent=True)
    )
    return values.reshape(n_players, -1), np.asarray(explainer.expected_value, float).reshape(-1)


@lru_cache(maxsize=4)
def shapley_matrix(n_players: int) -> np.ndarray:
    """The (k, 2^k) matrix W with Shapley values = ``W @ outputs_of_all_coalitions``.

    Shapley values are linear in the game, so W is shap's answer for the ``2^k`` unit games
    (game ``j`` is 1 on coalition ``j`` only), computed once per process; an explanation is
    then one matrix product instead of one kernel regression per forecast day.
    """
    masks = coalitions(n_players)
    weights = 1 << np.arange(n_players)
    unit = np.eye(2**n_players)

    def game(coalitions: np.ndarray) -> np.ndarray:
        return unit[(np.asarray(coalitions) > 0.5).astype(int) @ weights]

    values, _ = _shapley(game, n_players)
    assert values.shape == (n_players, len(masks))
    return values
