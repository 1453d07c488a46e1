"""The two lists a merchandiser reads: "buy again" and "discover", each row with its reason.

Design:
- **Buy again**: only items the customer has bought, ranked by the full blend (repeat purchase
  first, neighbours and trend as tie-breakers, with the weights of the customer's segment). The
  reason says how often and how recently: "bought 4 times, about every 30 days; last 31 days
  ago: due again" (due when ``repeat.due_weight`` >= 0.9), "bought once, 12 days ago".
- **Discover**: only items the customer has never bought, ranked by the discover blend. The
  reason names the link: "bought together with <an item you bought>", "customers who buy like
  you bought this", or "popular" for a customer without history.
Both follow the inventory rules of ``service.rank_with_stock_rules``: nothing unsellable; an
out-of-stock or at-risk favourite is replaced by its best in-stock substitute ("substitute for
Y (out of stock)"). A customer never seen has an empty "buy again" list and gets popular items
to discover. Frames: ``query, rank, sku, score, reason`` (``service.RECOMMENDATION_COLUMNS``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from invdash.recommend.model import ShopRecommender, blended_scores
from invdash.recommend.repeat import due_weight
from invdash.recommend.service import (
    RECOMMENDATION_COLUMNS,
    boosted,
    history_reasons,
    rank_with_stock_rules,
    recommend_for_customer,
)

__all__ = ["buy_again", "discover", "repeat_reasons"]

_CHUNK = 1024
_DUE = 0.9


def _ids(customer_ids: str | Sequence[str]) -> list[str]:
    return [str(customer_ids)] if isinstance(customer_ids, str) else [str(c) for c in customer_ids]


def repeat_reasons(model: ShopRecommender, user: int, items: np.ndarray) -> list[str]:
    """How often, how regularly and how recently customer ``user`` bought each item."""
    pairs = model.repeat.cycle_days()
    # Pairs are sorted by customer then item, so one customer's rows are a slice.
    lo, hi = np.searchsorted(pairs["customer"].to_numpy(), [user, user + 1])
    owned = pairs["item"].to_numpy()[lo:hi]
    orders = pairs["orders"].to_numpy()[lo:hi]
    newest = pairs["newest"].to_numpy()[lo:hi]
    cycle = pairs["cycle_days"].to_numpy()[lo:hi]
    due = due_weight(newest, cycle, model.plan.repeat.horizon_days)
    reasons = []
    for item in items:
        at = int(np.searchsorted(owned, item))
        if at >= len(owned) or owned[at] != item:
            reasons.append("customers with similar purchases bought this")
        elif orders[at] < 2:
            reasons.append(f"bought once, {newest[at]:.0f} days ago")
        else:
            text = (
                f"bought {orders[at]} times, about every {cycle[at]:.0f} days; "
                f"last {newest[at]:.0f} days ago"
            )
            reasons.append(text + (": due again" if due[at] >= _DUE else ""))
    return reasons


def _known(model: ShopRecommender, ids: list[str], *, k: int, again: bool) -> list:
    index = model.interactions.customer_index()
    rows: list = []
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        users = np.array([index[c] for c in part])
        scores = boosted(model, blended_scores(model, users, discover=not again))
        bought = model.interactions.user_items[users].toarray() > 0
        listed = np.where(bought if again else ~bought, scores, -np.inf)
        explain = repeat_reasons if again else history_reasons
        rows += rank_with_stock_rules(
            model,
            part,
            users,
            listed,
            k=k,
            explain=lambda u, items, why=explain: why(model, u, items),
            substitutes_from=scores if again else None,
        )
    return rows


def _frame(rows: list, ids: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(RECOMMENDATION_COLUMNS))
    frame = frame.astype({"query": str, "rank": int, "sku": str, "score": float, "reason": str})
    order = {c: i for i, c in enumerate(ids)}
    return frame.sort_values(
        ["query", "rank"],
        key=lambda s: s.map(order) if s.name == "query" else s,
        kind="stable",
        ignore_index=True,
    )


def buy_again(
    model: ShopRecommender, customer_ids: str | Sequence[str], *, k: int = 10
) -> pd.DataFrame:
    """Items each customer bought before, most likely rebuys first (module docstring).

    Returns:
        Frame ``query, rank, sku, score, reason``; no rows for a customer never seen.
    """
    ids = _ids(customer_ids)
    known = [c for c in ids if c in model.interactions.customer_index()]
    return _frame(_known(model, known, k=k, again=True), ids)


def discover(
    model: ShopRecommender, customer_ids: str | Sequence[str], *, k: int = 10
) -> pd.DataFrame:
    """Items each customer never bought, best first (module docstring).

    Returns:
        Frame ``query, rank, sku, score, reason``; popular items for a customer never seen.
    """
    ids = _ids(customer_ids)
    index = model.interactions.customer_index()
    known = [c for c in ids if c in index]
    frame = _frame(_known(model, known, k=k, again=False), known)
    unseen = [c for c in ids if c not in index]
    if unseen:
        popular = recommend_for_customer(model, unseen, k=k)
        frame = pd.concat([frame, popular], ignore_index=True)
    return _frame(frame.itertuples(index=False, name=None), ids) if len(frame) else frame
