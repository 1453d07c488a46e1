"""SKU Explorer: one SKU's history and forecast fan, the chosen model and how the models compare."""

import streamlit as st

from invdash.schema import InvdashError
from invdash.ui import auth_views, explain_views, paging, stock_views
from invdash.ui import forecast_views as views
from invdash.ui.charts import forecast as charts

auth_views.gate()  # see app.py: a page can be run without the entry script
st.title("SKU Explorer")
try:
    has_sales = views.has_sales()
except InvdashError as err:
    st.error(str(err))
    st.stop()
if not has_sales:
    st.info(
        "No sales yet. Build the demo shop with `invdash demo` or load a file on the Data page."
    )
    st.stop()

sku = paging.sku_picker("SKU", key="sku_explorer_sku")  # searched in DuckDB, not listed whole
if sku is None:
    st.stop()

with st.form("sku_explorer_form", border=False):
    left, right, _ = st.columns([2, 1, 3])
    model = left.selectbox(
        "Model",
        views.model_choices(),
        key="sku_explorer_model",
        help="auto: per SKU, the model that wins the rolling backtest.",
    )
    horizon = right.number_input("Horizon (days)", 7, 180, 28, step=7, key="sku_explorer_horizon")
    neural = st.checkbox(  # no device in the label: naming it imports torch (6 s under load)
        "Include the global neural model in auto (on the GPU when there is one; minutes "
        "without)",
        key="sku_explorer_neural",
    )
    one, every, _ = st.columns([1, 1.2, 1.8])
    forecast_one = one.form_submit_button("Forecast this SKU", key="sku_explorer_forecast_one")
    run_all = every.form_submit_button(
        "Run forecasts (all SKUs)", key="sku_explorer_run_all", type="primary"
    )

requests = st.session_state.setdefault("sku_explorer_requests", {})
if forecast_one:
    requests[sku] = (model, int(horizon))
if run_all:
    requests.clear()  # show the stored all-SKU run from now on
    bar = st.progress(0.0, text="Forecasting all SKUs ...")
    try:
        stored = views.run_all_forecasts(
            model=model,
            horizon=int(horizon),
            use_neural=neural,
            progress=views.progress_reporter(bar),
        )
    except InvdashError as err:
        st.error(str(err))
        st.stop()
    bar.empty()
    st.success(
        f"Forecast {stored.forecasts['sku'].nunique():,} SKUs in {stored.duration_s:.1f} s "
        f"on {stored.device}; stored and reused until the data change."
    )

try:
    history = views.sku_history(sku)
    run = views.latest_run_for(sku)  # this SKU's rows of the stored run
    if sku in requests:
        req_model, req_horizon = requests[sku]
        run = views.forecast_sku(sku, model=req_model, horizon=req_horizon)
except InvdashError as err:
    st.error(str(err))
    st.stop()

forecasts = views.sku_forecasts(run, sku)
st.plotly_chart(charts.fan_chart(history, forecasts), key="sku_explorer_chart")
if forecasts.empty:
    st.info(
        "No forecast for this SKU yet: click **Forecast this SKU**, or **Run forecasts (all "
        "SKUs)** to forecast and store every SKU."
    )
else:
    views.render_model_section(run, sku, on_demand=sku in requests)

if not forecasts.empty:
    try:
        st.subheader("Projected stock")
        stock_views.render_projected_stock(sku)
        if sku in requests:
            explain_views.render_explanation(run, sku, single_sku=True)
        else:
            explain_views.render_stored_explanation(run, sku)
    except InvdashError as err:
        st.error(str(err))
