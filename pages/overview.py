"""Overview: KPI cards, the weekly sales trend by category, and a first-run guide."""

import streamlit as st

from invdash.schema import InvdashError
from invdash.ui import auth_views
from invdash.ui import overview_views as views

auth_views.gate()  # see app.py: a page can be run without the entry script
st.title("Overview")
try:
    state = views.database_state()
    if state != views.READY:
        views.render_first_run(state)
        st.stop()
    figures = views.summary()
    weekly = views.weekly_sales()
except InvdashError as err:
    st.error(str(err))
    st.stop()

views.render_kpi_cards(figures)

st.subheader("Sales trend")
filter_column, measure_column = st.columns([3, 1])
chosen = filter_column.multiselect(
    "Categories", views.categories(weekly), key="overview_categories",
    placeholder="All categories",
)
measure = measure_column.radio(
    "Measure", list(views.MEASURES), horizontal=True, key="overview_measure"
)
st.plotly_chart(views.sales_trend_figure(weekly, chosen=chosen, measure=measure))

views.render_kpis()
