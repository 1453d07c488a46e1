"""Choose a shop's blend plan on a validation split inside its own history.

Design: the last ``holdout_days`` of the given purchases are the validation period (when the
caller evaluates on a test period, it passes only the training period, so the test is never
looked at). Every scorer is trained on the purchases before it; the customers who bought in both
periods are the validation customers. Then, in order:

1. the repeat settings (recency half-life or no decay, cycle weight) by validation NDCG@10 of
   the repeat score alone (``repeat.choose_repeat_params``);
2. the full-list weights per segment (``segments.choose_segment_weights``), targets every item
   bought in the validation period;
3. the discover-list weights per segment, targets only items the customer had never bought,
   and those items excluded from the lists.

The result is a ``BlendPlan`` with ``source = "validation"`` and the validation metrics of every
step, which ``store.recs`` records with the run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from invdash.recommend.blend import COMPONENTS
from invdash.recommend.evaluate import time_split
from invdash.recommend.interactions import clean_purchases
from invdash.recommend.model import ShopRecommender, component_scores, fit_recommender
from invdash.recommend.repeat import choose_repeat_params
from invdash.recommend.segments import (
    SEGMENTS,
    BlendPlan,
    choose_segment_weights,
    default_plan,
)
from invdash.recommend.sequential import SASRec
from invdash.schema import InvalidDataError

__all__ = ["ValidationCustomers", "validation_customers", "choose_plan"]


@dataclass(frozen=True)
class ValidationCustomers:
    """Scorers fitted before the validation period and the customers to validate on.

    Attributes:
        model: recommender fitted on the purchases before the validation period.
        users: validation customer indices in ``model``.
        targets: per validation customer, the SKUs bought in the validation period.
    """

    model: ShopRecommender
    users: np.ndarray
    targets: list[set[str]]


def validation_customers(
    order_lines: pd.DataFrame,
    *,
    holdout_days: float = 30.0,
    sequential: SASRec | None = None,
) -> ValidationCustomers:
    """Fit every scorer on all but the last ``holdout_days`` (module docstring).

    Raises:
        InvalidDataError: no customer bought both before and in the validation period.
    """
    split = time_split(clean_purchases(order_lines), holdout_days=holdout_days)
    every = {name: 1.0 for name in COMPONENTS if sequential is not None or name != "sequential"}
    plan = replace(default_plan(), full={s: dict(every) for s in SEGMENTS})
    model = fit_recommender(split.train, plan=plan, sequential=sequential)
    index = model.interactions.customer_index()
    known = [u for u in split.targets if u in index]
    if not known:
        raise InvalidDataError("no validation customer was seen in training; use more history.")
    return ValidationCustomers(
        model=model,
        users=np.array([index[u] for u in known]),
        targets=[split.targets[u] for u in known],
    )


def _steps(step: str, table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(step=step)


def choose_plan(
    order_lines: pd.DataFrame,
    *,
    holdout_days: float = 30.0,
    sequential: SASRec | None = None,
) -> BlendPlan:
    """The repeat settings and per-segment weights with the best validation NDCG@10.

    Args:
        order_lines: the shop's order lines (only the training period when evaluating).
        holdout_days: length of the validation period at the end, in days.
        sequential: an unfitted SASRec to include the sequential component; None leaves it out.
    """
    found = validation_customers(order_lines, holdout_days=holdout_days, sequential=sequential)
    model, users, targets = found.model, found.users, found.targets
    skus = model.interactions.skus
    repeat, repeat_table = choose_repeat_params(model.repeat, users, targets, skus)
    model.repeat = model.repeat.with_params(repeat)
    components = component_scores(model, users)
    segments = model.segments(users)
    start = default_plan()
    full, full_table = choose_segment_weights(
        components, targets, skus, segments, start=start.full["regular"]
    )
    bought = model.interactions.user_items[users].toarray() > 0
    new_targets = [t - set(skus[row]) for t, row in zip(targets, bought, strict=True)]
    discover_components = {n: s for n, s in components.items() if n != "repeat"}
    discover, discover_table = choose_segment_weights(
        discover_components,
        new_targets,
        skus,
        segments,
        start=start.discover["regular"],
        exclude=bought,
    )
    validation = pd.concat(
        [
            _steps("repeat", repeat_table.head(10)),
            _steps("full", full_table),
            _steps("discover", discover_table),
        ],
        ignore_index=True,
    )
    return BlendPlan(
        repeat=repeat, full=full, discover=discover, source="validation", validation=validation
    )
