"""Policy Replay: what the invdash policy and the textbook policy would have done over history."""

import streamlit as st

from invdash.schema import InvdashError
from invdash.ui import auth_views
from invdash.ui import replay_views as views

auth_views.gate()  # see app.py: a page can be run without the entry script
st.title("Policy Replay")
st.caption(
    "Replays history day by day from a start date: on each review day each policy is set from "
    "the sales before that day only and orders up to its order-up-to level when stock on hand "
    "plus on order is at or below its reorder point; orders arrive after the lead time; demand "
    "is the recorded sales, and demand without stock is lost."
)
try:
    span = views.data_span()
    models = views.model_choices()
except InvdashError as err:
    st.error(str(err))
    st.stop()
if span is None:
    st.info("No sales yet. Build the demo shop with `invdash demo` or load a file on the Data "
            "page.")
    st.stop()
first_day, last_day = span

with st.form("replay_form"):
    left, middle, right = st.columns(3)
    days = left.number_input("Days to replay", 7, 365, 84, step=7, key="replay_days")
    start = middle.date_input(
        "Start", views.default_start(last_day, 84).date(), min_value=first_day.date(),
        max_value=last_day.date(), key="replay_start",
    )
    service_level = right.slider(
        "Service target (fill rate)", 0.50, 0.99, 0.95, step=0.01, key="replay_service_level"
    )
    left, middle, right = st.columns(3)
    own_lead_time = left.checkbox("Each product's own lead time", True, key="replay_own_lead")
    lead_time = middle.number_input(
        "Lead time (days, all SKUs)", 0, 90, 7, key="replay_lead_time",
        help="Used when 'Each product's own lead time' is off.",
    )
    review_days = right.number_input("Review every (days)", 1, 28, 7, key="replay_review_days")
    left, right = st.columns(2)
    model = left.selectbox("Forecast model (invdash policy)", models, key="replay_model")
    with_curve = right.checkbox(
        "Also compute the fill-rate vs mean-stock curve (slower)", False, key="replay_with_curve"
    )
    submitted = st.form_submit_button("Run replay", type="primary", key="replay_run")

if submitted:
    bar = st.progress(0.0, text="Replaying ...")
    try:
        params = views.replay_params(
            start=start, days=int(days), review_days=int(review_days),
            lead_time_days=None if own_lead_time else int(lead_time),
        )
        st.session_state["replay_result"] = views.run_replay(
            params, service_level=float(service_level), model=model,
            progress=views.progress_reporter(bar),
        )
        st.session_state["replay_curve"] = (
            views.run_curve(params, model=model, progress=views.progress_reporter(bar))
            if with_curve else None
        )
    except InvdashError as err:
        bar.empty()
        st.error(str(err))
        st.stop()
    bar.empty()

result = st.session_state.get("replay_result")
if result is None:
    st.info("Choose a start date and the policy settings, then **Run replay**.")
    st.stop()

params = result.params
st.subheader(f"{params.days} days from {params.start.date()}")
for column, metrics in zip(st.columns(len(result.summary)), views.policy_metrics(result),
                           strict=True):
    column.markdown(f"**{metrics['policy']}**")
    column.metric("Fill rate", metrics["fill_rate"])
    column.metric("Stockout days (SKU-days with lost sales)", metrics["stockout_days"])
    column.metric("Mean stock on hand (units per SKU-day)", metrics["mean_on_hand"])
st.dataframe(views.summary_table(result), hide_index=True, key="replay_summary")

skus = views.busiest_skus(result)
sku = st.selectbox("SKU (most demand first)", skus, key="replay_sku")
st.plotly_chart(views.on_hand_chart(result, sku), key="replay_on_hand_chart")

curve = st.session_state.get("replay_curve")
if curve is not None:
    st.markdown(views.equal_fill_comparison(result, curve))
    st.plotly_chart(views.curve_chart(curve), key="replay_curve_chart")
else:
    st.caption(
        "The two policies reach different fill rates at the same target; tick the curve option "
        "to compare their stock at equal fill."
    )
