"""Inventory-aware product recommendations: bought-together, personal, substitutes.

Design (one module per job): ``interactions`` turns order lines into shared indices and matrices;
``cooccur`` (bought together, shrunk cosine), ``personal`` (EASE, repeat purchase, popularity),
``sequential`` (SASRec causal transformer) and ``content`` (title similarity, substitutes) score
items; ``blend`` combines the personal scorers with weights chosen by ``evaluate``'s offline
metrics; ``stock`` says what may be sold; ``service`` holds the public entry points that apply the
inventory rules and attach a reason to every row; ``pipeline`` builds all of it from a store.
Importing this package loads no model and opens no file.
"""

from __future__ import annotations

from invdash.recommend.service import (
    RECOMMENDATION_COLUMNS,
    ShopRecommender,
    at_risk_with_substitutes,
    fit_recommender,
    recommend_for_customer,
    recommend_for_sku,
    substitutes_for,
)

__all__ = [
    "RECOMMENDATION_COLUMNS",
    "ShopRecommender",
    "fit_recommender",
    "recommend_for_customer",
    "recommend_for_sku",
    "substitutes_for",
    "at_risk_with_substitutes",
]
