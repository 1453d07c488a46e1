"""Data: what is stored, and loading a CSV / Parquet file exactly as `invdash ingest` does."""

import streamlit as st

from invdash.ingest import KIND_CHOICES
from invdash.schema import InvdashError
from invdash.ui import auth_views, data_views

auth_views.gate()  # see app.py: a page can be run without the entry script
st.title("Data")

st.subheader("What is stored")
if data_views.database_exists():
    try:
        counts = data_views.stored_counts()
        log = data_views.recent_ingests()
    except InvdashError as err:
        st.error(str(err))
        st.stop()
    st.dataframe(counts, hide_index=True)
    st.caption("Recent ingests")
    if log.empty:
        st.caption("No file has been ingested into this database yet.")
    else:
        st.dataframe(log, hide_index=True)
else:
    st.info("No database yet: load a file below, or build the demo shop with `invdash demo`.")

st.subheader("Load a file")
st.caption(
    "Sales (date, sku, qty[, price, promo]), order lines (e.g. an Online Retail export), products, "
    "inventory snapshots, purchase orders or events (date, event[, sku | category], past and "
    "planned: the forecast learns each event's lift); CSV, CSV.gz or Parquet. Large files: use "
    "`invdash ingest FILE` on the server."
)
uploaded = st.file_uploader(
    "File", type=["csv", "gz", "tsv", "txt", "parquet"], key="data_upload"
)
kind = st.selectbox("Kind", KIND_CHOICES, key="data_kind", help="auto: detected from the header")
if uploaded is None:
    st.stop()

too_large = data_views.upload_size_error(uploaded.name, uploaded.size)
if too_large:
    st.error(too_large)
    st.stop()
path = data_views.saved_upload(uploaded)  # streamed to disk in chunks, once per file
try:
    found = data_views.preview(path, kind)
except InvdashError as err:
    st.error(str(err))
    st.stop()
st.write(f"Detected **{found.kind}** ({found.file_format.format}, "
         f"{found.file_format.compression}, {found.file_format.encoding}).")
st.dataframe(data_views.mapping_table(found), hide_index=True)

if st.button("Ingest", key="data_ingest", type="primary"):
    try:
        report = data_views.run_ingest(path, found.kind)
    except InvdashError as err:
        st.error(str(err))
        st.stop()
    # Rerun so "What is stored" above shows the new counts; the report survives in the session.
    st.session_state["data_report"] = (str(path), report.already_ingested, report.summary())
    st.rerun()

last = st.session_state.get("data_report")
if last is not None and last[0] == str(path):
    st.success("Nothing changed: already ingested." if last[1] else "Ingested.")
    st.code(last[2], language=None)
