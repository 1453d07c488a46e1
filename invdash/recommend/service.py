"""Public entry points: fit a shop's recommender, then ask for a customer, a SKU or substitutes.

Design: ``fit_recommender`` (``model``) trains every scorer once on the order lines and keeps
the stock status. The four ``recommend_*`` / ``substitutes_for`` / ``at_risk_with_substitutes``
functions then only score and filter, and all return the same frame ``query, rank, sku, score,
reason`` (``RECOMMENDATION_COLUMNS``). Inventory rules, applied last so they hold for every scorer:
only SKUs whose status is sellable (``stock.SELLABLE``) are ever returned; a customer's top item
that is out of stock or at risk is swapped for its best in-stock substitute ("substitute for Y
(out of stock)"); overstocked items get an optional multiplicative boost. A customer never seen
gets the popular sellable items.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from invdash.recommend.blend import top_k
from invdash.recommend.model import (
    ShopRecommender,
    blended_scores,
    component_scores,
    fit_recommender,
)
from invdash.recommend.personal import popularity_scores
from invdash.recommend.stock import SELLABLE
from invdash.schema import SKU, InvalidDataError

__all__ = [
    "RECOMMENDATION_COLUMNS",
    "ShopRecommender",
    "fit_recommender",
    "component_scores",
    "history_reasons",
    "rank_with_stock_rules",
    "boosted",
    "recommend_for_customer",
    "recommend_for_sku",
    "substitutes_for",
    "at_risk_with_substitutes",
]

RECOMMENDATION_COLUMNS = ("query", "rank", "sku", "score", "reason")
_CHUNK = 1024


def _frame(rows: list[tuple[str, int, str, float, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(RECOMMENDATION_COLUMNS))
    return frame.astype({"query": str, "rank": int, "sku": str, "score": float, "reason": str})


def boosted(model: ShopRecommender, scores: np.ndarray) -> np.ndarray:
    """Scores with overstocked items multiplied by (1 + ``model.overstock_boost``)."""
    if model.overstock_boost <= 0:
        return scores
    over = np.array([model.status.get(s) == "overstocked" for s in model.interactions.skus])
    return scores * np.where(over, 1.0 + model.overstock_boost, 1.0)


def history_reasons(model: ShopRecommender, user: int, items: np.ndarray) -> list[str]:
    """Why each item: bought before, bought together with a history item, similar customers,
    or popular for a customer without history."""
    history = model.interactions.user_items[user].indices
    if len(history) == 0:
        return ["popular"] * len(items)
    block = model.bought_together.scores_[history][:, items].toarray()
    best = history[np.argmax(block, axis=0)]
    owned = set(history.tolist())
    reasons = []
    for col, item in enumerate(items):
        if int(item) in owned:
            reasons.append("you bought this before")
        elif block[:, col].max() > 0:
            reasons.append(f"bought together with {model.name(model.interactions.skus[best[col]])}")
        else:
            reasons.append("customers with similar purchases bought this")
    return reasons


def _substitute_skus(model: ShopRecommender, sku: str) -> list[str]:
    """The 3 best sellable title substitutes of ``sku``, computed once per model and SKU."""
    memo = model.__dict__.setdefault("_substitute_memo", {})
    if sku not in memo:
        sellable = np.array(
            [model.status.get(s, "unknown") in SELLABLE for s in model.titles.skus_]
        )
        memo[sku] = list(model.titles.substitutes(sku, k=3, sellable=sellable)[SKU])
    return memo[sku]


def _swap_in_substitutes(
    model: ShopRecommender,
    ranked: list[tuple[int, float, str]],
    wanted: np.ndarray,
    raw: np.ndarray,
    *,
    k: int,
) -> list:
    """Put the best sellable substitute of each unsellable top item at that item's score
    (``raw``: the scores, -inf where the list may not hold an item)."""
    if model.titles is None:
        return ranked
    skus = model.interactions.skus
    taken = {item for item, _, _ in ranked}
    index = model.interactions.item_index()
    for item in wanted:
        sku = skus[item]
        if item < 0 or model.status.get(sku, "unknown") in SELLABLE:
            continue
        for sub in _substitute_skus(model, sku):
            # A substitute the list may not hold (already bought, in a discovery list) is skipped.
            if sub in index and index[sub] not in taken and np.isfinite(raw[index[sub]]):
                label = model.status.get(sku, "").replace("_", " ")
                ranked.append(
                    (index[sub], float(raw[item]), f"substitute for {model.name(sku)} ({label})")
                )
                taken.add(index[sub])
                break
    ranked.sort(key=lambda row: -row[1])
    return ranked[:k]


def rank_with_stock_rules(  # noqa: PLR0913 - data and the list's rules
    model: ShopRecommender,
    query: list[str],
    users: np.ndarray,
    scores: np.ndarray,
    *,
    k: int,
    explain: Callable[[int, np.ndarray], list[str]],
    substitutes_from: np.ndarray | None = None,
) -> list[tuple[str, int, str, float, str]]:
    """Top-``k`` sellable rows per customer, unsellable favourites swapped for substitutes.

    Args:
        model: a fitted recommender.
        query: customer ids (one per row of ``scores``).
        users: their customer indices.
        scores: (customers, items), -inf where the list may not hold an item.
        k: list length.
        explain: (customer index, item indices) -> one reason per item.
        substitutes_from: like ``scores``, finite where a substitute may enter (default
            ``scores``); a "buy again" list lets never-bought substitutes in.
    """
    allowed_subs = scores if substitutes_from is None else substitutes_from
    sellable = model.sellable()
    chosen = top_k(scores, k=k, allowed=sellable)
    wanted = top_k(scores, k=k) if not sellable.all() else None
    rows = []
    for row, (name, user) in enumerate(zip(query, users, strict=True)):
        items = chosen[row][chosen[row] >= 0]
        items = items[np.isfinite(scores[row, items])]
        ranked = [
            (int(i), float(scores[row, i]), why)
            for i, why in zip(items, explain(int(user), items), strict=True)
        ]
        if wanted is not None:
            picked = wanted[row][wanted[row] >= 0]
            picked = picked[np.isfinite(scores[row, picked])]
            raw = np.where(np.isfinite(scores[row]), scores[row], allowed_subs[row])
            ranked = _swap_in_substitutes(model, ranked, picked, raw, k=k)
        rows += [
            (name, rank + 1, str(model.interactions.skus[i]), score, reason)
            for rank, (i, score, reason) in enumerate(ranked)
        ]
    return rows


def _known_customers(
    model: ShopRecommender, query: list[str], users: np.ndarray, *, k: int, exclude_purchased: bool
) -> list[tuple[str, int, str, float, str]]:
    scores = boosted(model, blended_scores(model, users, discover=exclude_purchased))
    if exclude_purchased:
        scores[model.interactions.user_items[users].toarray() > 0] = -np.inf
    return rank_with_stock_rules(
        model, query, users, scores, k=k, explain=lambda u, items: history_reasons(model, u, items)
    )


def _popular(model: ShopRecommender, name: str, *, k: int) -> list:
    pop = popularity_scores(model.interactions)[None, :]
    top = top_k(boosted(model, pop), k=k, allowed=model.sellable())[0]
    return [
        (name, rank + 1, str(model.interactions.skus[i]), float(pop[0, i]), "popular")
        for rank, i in enumerate(i for i in top if i >= 0)
    ]


def recommend_for_customer(
    model: ShopRecommender,
    customer_ids: str | Sequence[str],
    *,
    k: int = 10,
    exclude_purchased: bool = False,
) -> pd.DataFrame:
    """Top-``k`` sellable items for each customer (unknown customers get popular items).

    Args:
        model: a fitted recommender.
        customer_ids: one customer id or several.
        k: list length.
        exclude_purchased: leave out items the customer already bought (discovery lists).

    Returns:
        Frame ``query, rank, sku, score, reason`` with ``query`` the customer id.
    """
    ids = [str(customer_ids)] if isinstance(customer_ids, str) else [str(c) for c in customer_ids]
    index = model.interactions.customer_index()
    known = [c for c in ids if c in index]
    rows: list = []
    for start in range(0, len(known), _CHUNK):
        part = known[start : start + _CHUNK]
        rows += _known_customers(
            model,
            part,
            np.array([index[c] for c in part]),
            k=k,
            exclude_purchased=exclude_purchased,
        )
    for customer in ids:
        if customer not in index:
            rows += _popular(model, customer, k=k)
    order = {c: i for i, c in enumerate(ids)}
    return _frame(rows).sort_values(
        ["query", "rank"],
        key=lambda s: s.map(order) if s.name == "query" else s,
        kind="stable",
        ignore_index=True,
    )


def _check_sku(model: ShopRecommender, sku: str) -> None:
    known = set(model.interactions.skus) | set(model.names)
    if sku not in known:
        raise InvalidDataError(
            f"unknown SKU {sku!r}: it appears in no order line or product; check the spelling "
            f"(e.g. {', '.join(sorted(known)[:3])})."
        )


def recommend_for_sku(model: ShopRecommender, sku: str, *, k: int = 10) -> pd.DataFrame:
    """Sellable items bought together with ``sku`` (topped up with title-similar items).

    Raises:
        InvalidDataError: ``sku`` is in neither the order lines nor the catalogue.
    """
    sku = str(sku)
    _check_sku(model, sku)
    index = model.interactions.item_index()
    sellable = model.sellable()
    rows: list = []
    if sku in index:
        items, scores = model.bought_together.neighbours(index[sku], k=len(sellable))
        picked = [(i, s) for i, s in zip(items, scores, strict=True) if sellable[i]][:k]
        rows = [
            (
                sku,
                rank + 1,
                str(model.interactions.skus[i]),
                float(s),
                f"bought together with {model.name(sku)}",
            )
            for rank, (i, s) in enumerate(picked)
        ]
    if len(rows) < k and model.titles is not None:
        taken = {r[2] for r in rows} | {sku}
        ok = np.array([model.status.get(s, "unknown") in SELLABLE for s in model.titles.skus_])
        similar = model.titles.substitutes(sku, k=k + len(taken), sellable=ok)
        similar = similar[~similar[SKU].isin(taken)].head(k - len(rows))
        rows += [
            (sku, len(rows) + n + 1, s, float(v), f"similar to {model.name(sku)}")
            for n, (s, v) in enumerate(zip(similar[SKU], similar["similarity"], strict=True))
        ]
    return _frame(rows)


def substitutes_for(model: ShopRecommender, sku: str, *, k: int = 5) -> pd.DataFrame:
    """In-stock substitutes for ``sku`` by title similarity (same category when known).

    Empty when the catalogue has no product names. Raises ``InvalidDataError`` for an unknown SKU.
    """
    sku = str(sku)
    _check_sku(model, sku)
    if model.titles is None:
        return _frame([])
    ok = np.array([model.status.get(s, "unknown") in SELLABLE for s in model.titles.skus_])
    subs = model.titles.substitutes(sku, k=k, sellable=ok)
    label = model.status.get(sku, "unknown").replace("_", " ")
    return _frame(
        [
            (sku, n + 1, s, float(v), f"substitute for {model.name(sku)} ({label})")
            for n, (s, v) in enumerate(zip(subs[SKU], subs["similarity"], strict=True))
        ]
    )


def at_risk_with_substitutes(model: ShopRecommender, *, k: int = 3) -> pd.DataFrame:
    """For every out-of-stock or at-risk SKU, its best ``k`` in-stock substitutes."""
    risky = sorted(s for s, st in model.status.items() if st in ("out_of_stock", "at_risk"))
    frames = [substitutes_for(model, sku, k=k) for sku in risky if sku in model.names]
    return pd.concat(frames, ignore_index=True) if frames else _frame([])
