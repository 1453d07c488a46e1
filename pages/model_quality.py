"""Model Quality: backtest accuracy by model and demand class, the device used, and past runs."""

import streamlit as st

from invdash.schema import InvdashError
from invdash.ui import auth_views, explain_views
from invdash.ui import forecast_views as views
from invdash.ui.charts import forecast as charts
from invdash.ui.labels import label, relabel

auth_views.gate()  # see app.py: a page can be run without the entry script
st.title("Model Quality")
try:
    run = views.newest_run()
    current = views.is_current(run)
    runs = views.run_history()
except InvdashError as err:
    st.error(str(err))
    st.stop()

if run is None:
    st.info(
        "No forecast run yet. Run one with **Run forecasts (all SKUs)** on the SKU Explorer "
        "page or with `invdash forecast --db PATH`."
    )
    st.stop()
if not current:
    st.warning("The data changed since this run; its forecasts are stale. Run forecasts again.")

c1, c2, c3, c4 = st.columns(4)
c1.metric(label("device"), str(run.device))
c2.metric(label("duration_s"), f"{run.duration_s:,.1f}")
c3.metric(label("n_skus"), f"{views.run_skus(run):,}")
c4.metric(label("horizon"), f"{run.horizon}")
st.caption(
    f"Latest run {run.run_id} ({run.created_at:%Y-%m-%d %H:%M}), model setting: "
    f"{run.model_param}. Rolling-origin backtest; lower is better except "
    "80% interval coverage, which should be near 0.80."
)

backtest = views.backtest_table(run)
st.subheader("Backtest by model and demand class")
if backtest.empty:
    st.info("This run has no backtest.")
else:
    metrics = [m for m in views.METRICS if m in backtest.columns]
    metric = st.selectbox(
        "Metric",
        metrics,
        index=metrics.index("rmsse") if "rmsse" in metrics else 0,
        format_func=label,
        key="model_quality_metric",
    )
    st.plotly_chart(charts.accuracy_chart(backtest, metric=metric), key="model_quality_chart")
    st.dataframe(relabel(backtest), hide_index=True, column_config=views.metric_columns())

if run.choices is not None and len(run.choices):
    st.subheader("Chosen models")
    st.dataframe(relabel(views.choice_summary(run)), hide_index=True)

st.subheader("Last runs")
st.dataframe(relabel(runs), hide_index=True, column_config=views.metric_columns())

try:
    explain_views.render_global_importance(run)
except InvdashError as err:
    st.error(str(err))
