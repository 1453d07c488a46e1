"""`invdash forecast` and `invdash backtest` from the command line."""

from __future__ import annotations

import pandas as pd
import pytest

from invdash.cli import main
from invdash.demo import make_sales


@pytest.fixture(scope="module")
def sales_csv(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("cli") / "sales.csv"
    sales = make_sales(4, 150, seed=2)[["date", "sku", "qty", "price", "promo"]]
    sales.assign(date=sales["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return str(path)


def test_forecast_csv_writes_the_exact_columns_and_h_rows_per_sku(sales_csv, tmp_path):
    out = tmp_path / "forecast.csv"
    code = main(["forecast", "--csv", sales_csv, "--horizon", "10", "--out", str(out), "--quiet"])
    assert code == 0
    forecasts = pd.read_csv(out)
    assert list(forecasts.columns) == ["sku", "date", "model", "mean", "p10", "p50", "p90"]
    assert (forecasts.groupby("sku").size() == 10).all()
    assert forecasts["sku"].nunique() == 4
    assert (forecasts["p10"] <= forecasts["p50"]).all() and (forecasts["p50"] <= forecasts[
        "p90"]).all()


def test_forecast_single_model_and_sku_filter(sales_csv, capsys):
    sku = pd.read_csv(sales_csv)["sku"].iloc[0]
    code = main(["forecast", "--csv", sales_csv, "--horizon", "5", "--model", "tsb",
                 "--sku", sku, "--quiet"])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "sku,date,model,mean,p10,p50,p90"
    assert len(lines) == 1 + 5 and all(",tsb," in line for line in lines[1:])


def test_forecast_bad_csv_exits_2_with_a_message(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,sku,qty\n2024-01-01,A,-3\n2024-01-02,A,2\n")
    assert main(["forecast", "--csv", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "error" in err and "Traceback" not in err


def test_forecast_missing_file_and_unknown_model_exit_2(sales_csv, tmp_path, capsys):
    assert main(["forecast", "--csv", str(tmp_path / "nope.csv"), "--quiet"]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["forecast", "--csv", sales_csv, "--model", "prophet", "--quiet"]) == 2
    assert "unknown model" in capsys.readouterr().err


def test_backtest_csv_writes_the_metric_table(sales_csv, tmp_path):
    out = tmp_path / "backtest.csv"
    code = main(["backtest", "--csv", sales_csv, "--folds", "2", "--horizon", "14",
                 "--out", str(out), "--quiet"])
    assert code == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["model", "demand_class", "n_skus", "mase", "rmsse", "wape",
                                   "bias", "spl", "coverage80"]
    assert {"ets", "tsb", "naive"} <= set(table["model"])


def test_forecast_db_stores_the_run(demo_db_copy, capsys):
    from invdash import store
    from invdash.forecast.options import planning_days
    from invdash.store.forecasts import list_runs

    code = main(["forecast", "--db", str(demo_db_copy), "--horizon", "7", "--quiet"])
    assert code == 0
    assert capsys.readouterr().out.startswith("sku,date,model,mean,p10,p50,p90")
    conn = store.connect_read_only(demo_db_copy)
    try:
        runs = list_runs(conn)
        reach = planning_days(store.load_products(conn))
    finally:
        conn.close()
    # The stored run is the policy's input: it reaches the longest lead time plus the review
    # period (here 45 + 2 x 10 + 7 days), past the 7 days asked for (forecast.options).
    assert reach == 72
    assert len(runs) == 1 and runs["horizon"].iloc[0] == reach and runs["status"].iloc[0] == "done"


def test_a_forecast_of_some_skus_is_not_stored_as_the_shops_run(demo_db_copy, capsys):
    from invdash import store
    from invdash.cli import main
    from invdash.store.forecasts import list_runs

    conn = store.connect_read_only(demo_db_copy)
    sku = str(store.read_table(conn, "sales")["sku"].iloc[0])
    conn.close()
    assert main(["forecast", "--db", str(demo_db_copy), "--sku", sku, "--model", "ma"]) == 0
    assert "not stored" in capsys.readouterr().err
    conn = store.connect_read_only(demo_db_copy)
    try:
        assert list_runs(conn).empty
    finally:
        conn.close()
