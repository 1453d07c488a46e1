"""Inventory-aware product recommendations: buy again, discover, bought together, substitutes.

Design (one module per job): ``interactions`` turns order lines into shared indices and matrices;
``repeat`` (own basket counts with a learned recency weight and repurchase cycle), ``neighbours``
(TIFU-KNN style customer neighbourhood), ``cooccur`` (bought together, shrunk cosine),
``personal`` (EASE, popularity), ``sequential`` (SASRec causal transformer) and ``content`` (title
similarity, substitutes) score items; ``blend`` and ``segments`` combine them with weights per
customer segment, which ``tuning`` chooses on a validation split with ``evaluate``'s metrics;
``model`` fits them all; ``stock`` says what may be sold; ``service`` and ``lists`` are the public
entry points that apply the inventory rules and attach a reason to every row ("buy again" and
"discover" in ``lists``); ``pipeline`` and ``runs`` build them from a store, ``runs`` storing
every list so a page reads them without fitting. Importing this package loads no model and
opens no file.
"""

from __future__ import annotations

from invdash.recommend.lists import buy_again, discover
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
    "buy_again",
    "discover",
]
