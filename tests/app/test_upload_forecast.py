"""Upload & Forecast page: upload, map columns, see the CLI's errors, preview, forecast, download.

The uploads are small hand-made CSVs:
- ``SHOP_CSV``: daily sales of 3 SKUs over 120 days under the header ``Day, Item, Units, Price,
  Returned`` (none of them the canonical names; ``Returned`` is a second number column).
- ``ORDERS_CSV``: an order-line export like UCI Online Retail: two orders of A-1 and B-2, one
  cancellation invoice (``C...``, negative quantity, also the only line of D-4: a product without
  demand) and a postage line (``POST``).
The database of the fixture is never written (checked).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from invdash import store
from invdash.ingest import ingest_file
from invdash.schema import InvalidDataError
from invdash.ui import upload_views as uploads

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/upload_forecast.py"


def _shop_csv() -> bytes:
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=120, freq="D")
    frames = [
        pd.DataFrame(
            {
                "Day": days.strftime("%Y-%m-%d"),
                "Item": sku,
                "Units": rng.poisson(rate, len(days)),
                "Price": 9.5,
                "Returned": rng.poisson(0.2, len(days)),
            }
        )
        for sku, rate in (("A-1", 6.0), ("B-2", 0.4), ("C-3", 2.0))
    ]
    return pd.concat(frames).to_csv(index=False).encode()


SHOP_CSV = _shop_csv()
ORDERS_CSV = (
    b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    b"536365,A-1,RED MUG,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
    b"536365,B-2,BLUE BOWL,2,12/1/2010 8:26,3.39,17850,United Kingdom\n"
    b"536365,POST,POSTAGE,1,12/1/2010 8:26,18.00,17850,United Kingdom\n"
    b"536366,A-1,RED MUG,4,12/2/2010 9:10,2.55,13047,United Kingdom\n"
    b"C536367,A-1,RED MUG,-3,12/2/2010 10:00,2.55,13047,United Kingdom\n"
    b"C536367,D-4,GREEN JUG,-1,12/2/2010 10:00,4.25,13047,United Kingdom\n"
)


@pytest.fixture
def app(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("INVDASH_DB", str(demo_db_copy))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    # The landing page (Overview) stores its summary on the first open after a data change;
    # from here on, the Upload page must not write.
    before = demo_db_copy.stat().st_mtime_ns
    at.switch_page(PAGE).run()
    assert not at.exception
    yield at
    assert demo_db_copy.stat().st_mtime_ns == before  # the page never writes the database
    st.cache_data.clear()
    st.cache_resource.clear()


def _upload(at: AppTest, data: bytes, name: str) -> AppTest:
    at.file_uploader(key="upload_forecast_file").set_value((name, data, "text/csv")).run()
    assert not at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_without_a_file_asks_for_one(app):
    assert app.info[0].value == "Upload a file to start."


def test_a_sales_file_is_mapped_previewed_forecast_and_offered_for_download(app):
    _upload(app, SHOP_CSV, "shop.csv")

    assert app.radio(key="upload_forecast_kind").value == "sales"
    assert app.selectbox(key="upload_forecast_map_date").value == "Day"
    assert app.selectbox(key="upload_forecast_map_sku").value == "Item"
    assert app.selectbox(key="upload_forecast_map_qty").value == "Units"
    assert app.selectbox(key="upload_forecast_map_promo").value == uploads.NO_COLUMN
    assert _metrics(app)["SKUs"] == "3" and _metrics(app)["Days"] == "120"
    assert not app.error

    app.number_input(key="upload_forecast_horizon_D").set_value(14)
    app.button(key="upload_forecast_run").click().run()

    assert not app.exception
    assert "3 SKUs, 14 days" in app.caption[-1].value
    assert app.selectbox(key="upload_forecast_sku").options == ["A-1", "B-2", "C-3"]
    assert app.get("plotly_chart")
    download = app.get("download_button")[0]
    assert download.proto.label == "Download forecast CSV"


def test_choosing_another_column_is_what_gets_read(app):
    _upload(app, SHOP_CSV, "shop.csv")
    units = pd.read_csv(io.BytesIO(SHOP_CSV))

    app.selectbox(key="upload_forecast_map_qty").set_value("Returned").run()

    assert not app.exception and not app.error
    preview = next(df.value for df in app.dataframe if "Units" in df.value.columns)
    first = units[units["Item"] == "A-1"].head(len(preview[preview["SKU"] == "A-1"]))
    assert preview.loc[preview["SKU"] == "A-1", "Units"].tolist() == first["Returned"].tolist()


def test_a_missing_required_column_shows_the_ingest_message(app):
    _upload(app, SHOP_CSV, "shop.csv")

    app.selectbox(key="upload_forecast_map_qty").set_value(uploads.NO_COLUMN).run()

    assert not app.exception
    assert "missing column(s) qty for a sales file" in app.error[0].value


def test_invalid_rows_show_exactly_the_cli_message(app, tmp_path):
    bad = b"date,sku,qty\n2024-01-01,A-1,3\n2024-01-02,A-1,-2\n2024-01-03,A-1,lots\n"
    path = tmp_path / "bad.csv"
    path.write_bytes(bad)
    conn = store.connect(tmp_path / "scratch.duckdb")
    try:
        with pytest.raises(InvalidDataError) as cli_error:  # what `invdash ingest` reports
            ingest_file(conn, path)
    finally:
        conn.close()

    _upload(app, bad, "bad.csv")

    assert app.error[0].value == str(cli_error.value)
    assert "negative values" in app.error[0].value and "line 3" in app.error[0].value


def test_order_lines_become_daily_demand_without_cancellations_or_postage(app):
    _upload(app, ORDERS_CSV, "orders.csv")

    assert app.radio(key="upload_forecast_kind").value == "order_lines"
    assert app.selectbox(key="upload_forecast_map_order_id").value == "InvoiceNo"
    assert app.selectbox(key="upload_forecast_map_ts").value == "InvoiceDate"
    assert _metrics(app)["SKUs"] == "2"  # A-1 and B-2; POST is not a product
    preview = next(df.value for df in app.dataframe if "Units" in df.value.columns)
    assert preview.loc[preview["SKU"] == "A-1", "Units"].tolist() == [6.0, 4.0]  # no -3
    assert "not counted as demand" in app.text[0].value


def test_new_skus_from_order_lines_get_a_forecast(app):
    _upload(app, ORDERS_CSV, "orders.csv")

    app.button(key="upload_forecast_run").click().run()  # two days of history: all SKUs are new

    assert not app.exception
    assert app.selectbox(key="upload_forecast_sku").options == ["A-1", "B-2"]
    assert "2 SKUs, 28 days" in app.caption[-1].value


def test_switching_the_kind_guesses_the_columns_again(app):
    _upload(app, SHOP_CSV, "shop.csv")

    app.radio(key="upload_forecast_kind").set_value("order_lines").run()

    assert not app.exception
    assert app.selectbox(key="upload_forecast_map_order_id").value == uploads.NO_COLUMN
    assert "missing column(s) order_id" in app.error[0].value


def test_a_file_that_is_no_csv_is_refused_with_the_ingest_message(app):
    _upload(app, b"\x89PNG\r\n\x1a\n" + bytes(64), "photo.csv")

    assert "is a PNG image, not a data file" in app.error[0].value


def test_the_same_column_for_two_fields_is_refused():
    header, kind = uploads.read_upload_header(SHOP_CSV, "shop.csv")
    mapping = {
        name: uploads.guess_mapping(header, kind).get(name, uploads.NO_COLUMN)
        for name, _ in uploads.upload_fields(kind)
    }

    with pytest.raises(InvalidDataError, match="same file column is chosen for two fields"):
        uploads.read_upload_sales(
            SHOP_CSV, "shop.csv", kind=kind, mapping={**mapping, "price": "Units"}
        )


def test_a_gzipped_file_with_a_changed_mapping_reads_the_chosen_column():
    import gzip

    data = gzip.compress(SHOP_CSV)
    header, kind = uploads.read_upload_header(data, "shop.csv.gz")
    mapping = {
        name: uploads.guess_mapping(header, kind).get(name, uploads.NO_COLUMN)
        for name, _ in uploads.upload_fields(kind)
    }

    upload = uploads.read_upload_sales(
        data, "shop.csv.gz", kind=kind, mapping={**mapping, "qty": "Returned"}
    )

    expected = pd.read_csv(io.BytesIO(SHOP_CSV)).groupby("Item")["Returned"].sum()
    assert upload.sales.groupby("sku")["qty"].sum().to_dict() == expected.astype(float).to_dict()
    assert upload.summary.startswith("shop.csv.gz: sales")  # messages keep the user's file name


def _coarse_csv(freq: str, periods: int) -> bytes:
    rng = np.random.default_rng(1)
    dates = pd.date_range("2021-01-01" if freq == "MS" else "2023-01-02", periods=periods,
                          freq=freq)
    frames = [pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "sku": sku,
                            "qty": rng.poisson(rate, len(dates))})
              for sku, rate in (("A-1", 120.0), ("B-2", 30.0))]
    return pd.concat(frames).to_csv(index=False).encode()


@pytest.mark.parametrize(("freq", "periods", "unit", "default"),
                         [("MS", 36, "Months", 12), ("W-MON", 60, "Weeks", 13)])
def test_a_monthly_or_weekly_file_is_forecast_in_its_own_periods(app, freq, periods, unit,
                                                                 default):
    _upload(app, _coarse_csv(freq, periods), "coarse.csv")
    assert _metrics(app)[unit] == str(periods)
    box = app.number_input(key=f"upload_forecast_horizon_{freq[0]}")
    assert box.value == default and box.label == f"Horizon ({unit.lower()})"
    app.button(key="upload_forecast_run").click().run()
    assert not app.exception
    assert f"2 SKUs, {default} {unit.lower()}" in app.caption[-1].value
    run = app.session_state["upload_forecast_result"][1]
    forecast = pd.read_csv(io.BytesIO(uploads.forecast_csv(run.forecasts)), parse_dates=["date"])
    assert forecast.groupby("sku").size().tolist() == [default, default]
    dates = pd.DatetimeIndex(forecast["date"].unique()).sort_values()
    if freq == "MS":
        assert dates.is_month_start.all() and (dates.to_period("M").asi8[1:] - dates.to_period(
            "M").asi8[:-1] == 1).all()
    else:
        assert (dates.weekday == 0).all() and (np.diff(dates.asi8) == 7 * 86_400 * 10**9).all()
    assert app.get("plotly_chart")
