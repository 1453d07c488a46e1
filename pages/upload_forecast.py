"""Upload & Forecast: forecast a CSV of sales or order lines without touching the database."""

import streamlit as st

from invdash.schema import InvdashError
from invdash.ui import auth_views
from invdash.ui import forecast_views as views
from invdash.ui import upload_views as uploads
from invdash.ui.charts import forecast as charts
from invdash.ui.labels import label, relabel

auth_views.gate()  # see app.py: a page can be run without the entry script
st.title("Upload & Forecast")
st.caption(
    "Forecast a CSV of daily, weekly or monthly sales (`date, sku, qty`, optional `price, promo`; "
    "the grain is read from the dates) or of order "
    "lines (`order_id, sku, qty, ts`, ...), read exactly as `invdash ingest` reads it. "
    "Nothing is written to the database."
)
uploaded = st.file_uploader(
    "CSV file (may be gzipped)",
    type=["csv", "gz", "txt"],
    key="upload_forecast_file",
    on_change=uploads.forget_mapping,
)
if uploaded is None:
    st.info("Upload a file to start.")
    st.stop()

too_large = uploads.upload_size_error(uploaded.name, uploaded.size)
if too_large:
    st.error(too_large)
    st.stop()
path = uploads.saved_upload(uploaded)  # streamed to disk in chunks, once per file
try:
    header, guessed_kind = uploads.inspect_upload(path)
except InvdashError as err:
    st.error(str(err))
    st.stop()

kinds = list(uploads.UPLOAD_KINDS)
kind = st.radio(
    "The file holds",
    kinds,
    index=kinds.index(guessed_kind),
    format_func=label,
    horizontal=True,
    key="upload_forecast_kind",
    on_change=uploads.forget_mapping,
)
st.markdown("**Columns** (guessed from the header; change them if they are wrong)")
guess = uploads.guess_mapping(header, kind)
options = [uploads.NO_COLUMN, *header]
mapping = {}
for row in uploads.field_rows(kind, per_row=4):
    for cell, (field, required) in zip(st.columns(4), row, strict=False):
        mapping[field] = cell.selectbox(
            label(field) + ("" if required else " (optional)"),
            options,
            index=options.index(guess[field]) if field in guess else 0,
            key=f"{uploads.MAPPING_KEY_PREFIX}{field}",
        )

try:
    upload = uploads.upload_sales(path, kind=kind, mapping=mapping)
except InvdashError as err:
    st.error(str(err))
    st.stop()

st.subheader("Preview")
st.text(upload.summary)
for warning in upload.warnings:
    st.warning(warning)
try:
    grain = uploads.sales_grain(upload.sales)
except InvdashError as err:
    st.error(str(err))
    st.stop()
unit = uploads.period_word(grain)
summary = uploads.sales_summary(upload.sales, grain)
c1, c2, c3 = st.columns([1, 1, 2])
c1.metric("SKUs", f"{summary['skus']:,}")
c2.metric(f"{unit.title()}s", f"{summary['periods']:,}")
c3.metric("Period", f"{summary['first']} to {summary['last']}")
st.dataframe(
    relabel(upload.sales.head(200)),
    hide_index=True,
    column_config={label("date"): st.column_config.DateColumn(format="YYYY-MM-DD")},
)

with st.form("upload_forecast_form", border=False):
    left, right, _ = st.columns([2, 1, 3])
    model = left.selectbox(
        "Model",
        views.model_choices(),
        key="upload_forecast_model",
        help="auto: per SKU, the model that wins the rolling backtest.",
    )
    bounds = uploads.horizon_choice(grain)
    horizon = right.number_input(
        f"Horizon ({unit}s)", bounds["min"], bounds["max"], bounds["default"],
        step=bounds["step"], key=f"upload_forecast_horizon_{grain.kind}",
    )
    submitted = st.form_submit_button("Forecast", type="primary", key="upload_forecast_run")

token = (uploaded.file_id, kind, tuple(mapping.items()))
if submitted:
    bar = st.progress(0.0, text="Forecasting ...")
    try:
        run = views.forecast_frame(
            upload.sales,
            products=upload.products,
            model=model,
            horizon=int(horizon),
            progress=views.progress_reporter(bar),
        )
    except InvdashError as err:
        st.error(str(err))
        st.stop()
    bar.empty()
    st.session_state["upload_forecast_result"] = (token, run)

stored = st.session_state.get("upload_forecast_result")
if stored is None or stored[0] != token:
    st.stop()
run = stored[1]
st.subheader("Forecast")
st.caption(
    f"{run.forecasts['sku'].nunique():,} SKUs, {run.horizon} {unit}s, {run.duration_s:.1f} s "
    f"on {run.device}."
)
sku = st.selectbox("SKU", views.forecast_skus(run), key="upload_forecast_sku")
history = uploads.sku_sales(upload.sales, sku)
st.plotly_chart(
    charts.fan_chart(history, views.sku_forecasts(run, sku)), key="upload_forecast_chart"
)
st.download_button(
    "Download forecast CSV",
    uploads.forecast_csv(run.forecasts),
    file_name="forecast.csv",
    mime="text/csv",
    key="upload_forecast_download",
)
