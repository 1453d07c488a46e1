"""Offline evaluation of invdash recommendations on UCI Online Retail, against four baselines.

Run: ``.venv/bin/python benchmarks/bench_recs.py [--data PATH] [--epochs N] [--out FILE.json]``.

Protocol (one run):
- Order lines: cancellations (``C`` invoices), returns (qty <= 0) and non-product codes (POST,
  DOT, M, ...) dropped. Time split: the last 30 days are held out; everything trains on the
  earlier purchases. Evaluated: customers with a CustomerID who bought in both periods.
- Two target definitions, both reported:
  ``all``: every distinct item bought in the held-out month (re-purchases count: retail customers
  rebuy, and recommending a re-order is useful), lists may contain already-bought items;
  ``new``: only items the customer never bought before, and every model's list excludes the
  customer's already-bought items.
- Metrics HR@10, recall@10, NDCG@10 (``invdash.recommend.evaluate``).
- Baselines: global popularity (distinct orders), each customer's own most-bought items (number
  of orders, padded with popularity), implicit's ALS and item-kNN (ItemItemRecommender /
  CosineRecommender, K=100) on log1p order counts.
- invdash: blend weights chosen by validation NDCG@10 on the last 30 days of the *training*
  period (models retrained on the data before it), one set for ``all`` lists and one for the
  ``new`` (discovery) lists, then refit on the whole training period; reported with the SASRec
  component at its chosen weight and without it. Inventory-awareness is off (no stock data).
- Timing: the final fit plus recommending 10 items for every customer, wall and CPU seconds,
  with and without SASRec (``--epochs`` sets its epoch budget; 3 by default).

Measured 2026-11-28 on a shared 2-core box (load average 4-7 from other jobs), 1,379 customers
(``all``) / 1,277 (``new``), 4,066 customers and 3,883 items in training:

    targets model                   HR@10  recall@10 NDCG@10
    all     popularity              0.4685 0.0329    0.0894
    all     own most-bought         0.8354 0.1747    0.3407
    all     implicit ALS            0.7563 0.1307    0.2400
    all     implicit item-kNN       0.5968 0.0748    0.1635
    all     implicit cosine-kNN     0.6534 0.1178    0.2220
    all     invdash                 0.8332 0.1805    0.3532
    all     invdash without SASRec  0.8281 0.1802    0.3522
    new     popularity              0.2044 0.0171    0.0316
    new     own most-bought         0.2193 0.0186    0.0343
    new     implicit ALS            0.4143 0.0556    0.0837
    new     implicit item-kNN       0.2263 0.0249    0.0410
    new     implicit cosine-kNN     0.2850 0.0357    0.0554
    new     invdash                 0.4362 0.0613    0.0929
    new     invdash without SASRec  0.4362 0.0613    0.0929

Fit + recommend for all 4,066 customers: 6-12 s wall without SASRec, 79-181 s with SASRec
(3 epochs), depending on the other load on the box.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from invdash.recommend._data import build_interactions, clean_purchases
from invdash.recommend.blend import top_k
from invdash.recommend.evaluate import ranking_metrics, time_split
from invdash.recommend.personal import popularity_scores
from invdash.recommend.pipeline import tune_weights, validation_set
from invdash.recommend.sequential import SASRec
from invdash.recommend.service import fit_recommender, recommend_for_customer

DATA = Path(__file__).resolve().parents[2] / "shared/data/real/online_retail/online_retail.csv.gz"
NON_PRODUCTS = {
    "POST",
    "DOT",
    "M",
    "D",
    "C2",
    "BANK CHARGES",
    "AMAZONFEE",
    "CRUK",
    "PADS",
    "S",
    "B",
}
RENAME = {
    "InvoiceNo": "order_id",
    "CustomerID": "customer_id",
    "StockCode": "sku",
    "InvoiceDate": "ts",
    "Quantity": "qty",
    "UnitPrice": "price",
}


def load_lines(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    lines = raw.rename(columns=RENAME)
    code = lines["sku"].str.upper()
    return lines[~code.isin(NON_PRODUCTS) & ~code.str.startswith("GIFT")]


def _ranked(inter, top) -> list[list[str]]:
    return [[inter.skus[i] for i in row if i >= 0] for row in top]


def _mask_history(scores: np.ndarray, history: np.ndarray, exclude: bool) -> np.ndarray:
    return np.where(history > 0, -np.inf, scores) if exclude else scores


def baselines(train: pd.DataFrame, users: list[str], *, exclude: bool) -> dict[str, list]:
    """Ranked SKU lists per evaluated customer for each baseline."""
    from implicit.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import CosineRecommender, ItemItemRecommender

    inter = build_interactions(train)
    index = inter.customer_index()
    rows = np.array([index[u] for u in users])
    history = inter.user_items[rows].toarray()
    pop = popularity_scores(inter)
    orders = np.asarray(inter.basket_items.sum(axis=0)).ravel()
    out = {
        "popularity": _ranked(
            inter, top_k(_mask_history(np.tile(orders, (len(rows), 1)), history, exclude), k=10)
        )
    }
    own = history + 1e-6 * pop / pop.max()
    out["own most-bought"] = _ranked(inter, top_k(_mask_history(own, history, exclude), k=10))
    weighted = inter.user_items.copy()
    weighted.data = np.log1p(weighted.data)
    weighted = weighted.tocsr().astype(np.float64)
    models = {
        "implicit ALS": AlternatingLeastSquares(
            factors=64, regularization=0.05, iterations=15, alpha=10.0, random_state=0
        ),
        "implicit item-kNN": ItemItemRecommender(K=100),
        "implicit cosine-kNN": CosineRecommender(K=100),
    }
    for name, model in models.items():
        model.fit(weighted, show_progress=False)
        ids, _ = model.recommend(rows, weighted[rows], N=10, filter_already_liked_items=exclude)
        out[name] = [[inter.skus[i] for i in row if i >= 0] for row in ids]
    return out


def choose_weights(train: pd.DataFrame, *, epochs: int, seed: int) -> dict:
    """Blend weights by validation NDCG@10 on the last 30 days of the training period."""
    validation = validation_set(
        train, holdout_days=30, seed=seed, sequential=SASRec(epochs=epochs, seed=seed)
    )
    full, discovery = tune_weights(validation), tune_weights(validation, discovery=True)
    return {
        "weights": full.weights,
        "discovery_weights": discovery.weights,
        "validation": full.candidates.head(5).to_dict("records"),
        "discovery_validation": discovery.candidates.head(5).to_dict("records"),
    }


def evaluate_invdash(model, users: list[str], *, exclude: bool) -> list[list[str]]:
    recs = recommend_for_customer(model, users, k=10, exclude_purchased=exclude)
    ranked = recs.groupby("query", sort=False)["sku"].agg(list)
    return [ranked.get(u, []) for u in users]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--epochs", type=int, default=3, help="SASRec epoch budget")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    purchases = clean_purchases(load_lines(args.data))
    split = time_split(purchases, holdout_days=30)
    users = sorted(split.targets)
    hist = split.train.dropna(subset=["customer_id"]).groupby("customer_id")["sku"].agg(set)
    history_sets = [hist.get(u, set()) for u in users]
    chosen = choose_weights(split.train, epochs=args.epochs, seed=args.seed)
    print("chosen blend weights:", chosen["weights"], chosen["discovery_weights"], flush=True)
    wall, cpu = time.perf_counter(), time.process_time()
    model = fit_recommender(
        split.train,
        weights=chosen["weights"],
        discovery_weights=chosen["discovery_weights"],
        sequential=SASRec(epochs=args.epochs, seed=args.seed),
    )
    all_customers = list(model.interactions.customers)
    recommend_for_customer(model, all_customers, k=10)
    timing = {
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "customers": len(all_customers),
        "items": len(model.interactions.skus),
        "load_avg_1m": os.getloadavg()[0],
    }
    print("fit + recommend all customers:", timing, flush=True)
    wall, cpu = time.perf_counter(), time.process_time()
    no_seq = fit_recommender(
        split.train,
        weights={**chosen["weights"], "sequential": 0.0},
        discovery_weights={**chosen["discovery_weights"], "sequential": 0.0},
    )
    recommend_for_customer(no_seq, all_customers, k=10)
    timing["without_sasrec_wall_s"] = time.perf_counter() - wall
    timing["without_sasrec_cpu_s"] = time.process_time() - cpu
    print("without SASRec:", timing, flush=True)
    results = []
    for variant, exclude in (("all", False), ("new", True)):
        targets = [
            split.targets[u] - (h if exclude else set())
            for u, h in zip(users, history_sets, strict=True)
        ]
        lists = baselines(split.train, users, exclude=exclude)
        lists["invdash"] = evaluate_invdash(model, users, exclude=exclude)
        lists["invdash without SASRec"] = evaluate_invdash(no_seq, users, exclude=exclude)
        for name, ranked in lists.items():
            results.append(
                {"targets": variant, "model": name, **ranking_metrics(ranked, targets, k=10)}
            )
    table = pd.DataFrame(results)
    print(table.to_string(index=False, float_format="%.4f"))
    if args.out:
        args.out.write_text(
            json.dumps(
                {"timing": timing, "blend": chosen, "results": results}, indent=2, default=str
            )
        )


if __name__ == "__main__":
    main()
