"""`invdash ingest --kind events` and the forecast reading the stored events."""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash import store
from invdash.cli import main
from invdash.store.events import load_events

DAYS = pd.date_range("2024-01-01", periods=300)
SALE_DAYS = [DAYS[80], DAYS[81], DAYS[82], DAYS[200], DAYS[201], DAYS[202]]
PLANNED = pd.date_range(DAYS[-1] + pd.Timedelta(days=6), periods=3)


def _sales() -> pd.DataFrame:
    """5 SKUs x 300 days, Poisson(8); S2 sells 3x on the past sale days."""
    rng = np.random.default_rng(0)
    rows = [(f"S{i}", day, float(rng.poisson(24.0 if i == 2 and day in SALE_DAYS else 8.0)))
            for i in range(5) for day in DAYS]
    return pd.DataFrame(rows, columns=["sku", "date", "qty"])


def _write_sales(tmp_path):
    path = tmp_path / "sales.csv"
    _sales().to_csv(path, index=False)
    return path


def test_events_file_is_ingested_and_moves_the_stored_forecast(tmp_path, capsys):
    db = tmp_path / "shop.duckdb"
    assert main(["ingest", str(_write_sales(tmp_path)), "--db", str(db), "--quiet"]) == 0
    out = tmp_path / "plain.csv"
    assert main(["forecast", "--db", str(db), "--model", "ma", "--folds", "0", "--horizon",
                 "14", "--out", str(out), "--quiet"]) == 0
    events = tmp_path / "events.csv"
    days = [*SALE_DAYS, *PLANNED]
    pd.DataFrame({"date": [d.date() for d in days], "event": "Summer sale", "sku": "S2",
                  "category": ""}).to_csv(events, index=False)
    assert main(["ingest", str(events), "--db", str(db), "--kind", "events", "--quiet"]) == 0
    assert "stored 9 events" in capsys.readouterr().out
    conn = store.connect(db)
    try:
        stored = load_events(conn)
    finally:
        conn.close()
    assert len(stored) == 9 and set(stored["sku"]) == {"S2"} and stored["category"].isna().all()
    moved = tmp_path / "moved.csv"
    assert main(["forecast", "--db", str(db), "--model", "ma", "--folds", "0", "--horizon",
                 "14", "--out", str(moved), "--quiet"]) == 0
    before = pd.read_csv(out, parse_dates=["date"]).set_index(["sku", "date"])["mean"]
    after = pd.read_csv(moved, parse_dates=["date"]).set_index(["sku", "date"])["mean"]
    ratio = (after / before).unstack("sku")
    assert (ratio.loc[PLANNED, "S2"] > 1.8).all()
    assert (ratio.drop(index=PLANNED)["S2"] - 1).abs().max() < 0.05
    assert (ratio.drop(columns="S2") - 1).abs().max().max() < 1e-9


def test_a_bad_events_file_exits_2_naming_file_column_and_line(tmp_path, capsys):
    db = tmp_path / "shop.duckdb"
    events = tmp_path / "events.csv"
    events.write_text("date,event,sku,category\n2024-06-01,Sale,,\n2024-06-02,Sale,S1,garden\n")
    assert main(["ingest", str(events), "--db", str(db), "--kind", "events"]) == 2
    err = capsys.readouterr().err
    assert "events.csv" in err and "column sku" in err and "line 3" in err
