"""Overview: what is in the database, and (once the policy is built) the stock KPIs."""

import streamlit as st

from invdash.schema import InvdashError
from invdash.ui import overview_views

st.title("Overview")
try:
    counts = overview_views.table_counts()
except InvdashError as err:
    st.error(str(err))
    st.stop()

cols = st.columns(len(counts))
for col, (table, rows) in zip(cols, counts.items(), strict=True):
    col.metric(table.replace("_", " ").capitalize(), f"{rows:,}")
if counts.get("sales", 0) == 0:
    st.info("No sales yet. Build the demo shop with `invdash demo` or load a file on the Data page.")
overview_views.render_kpis()
