"""Master Data: lead times, MOQ, packs, supplier, cost and stock counts; forecast overrides."""

import streamlit as st

from invdash.schema import InvdashError
from invdash.ui import auth_views, paging, purchasing_views
from invdash.ui.labels import relabel

auth_views.gate()  # sign-in, local single-user mode or refusal; stops if needed
st.title("Master Data")
st.caption(
    "Changes are checked, recorded with who, when and old -> new, and used by the next policy "
    "run. A stock count is stored as a new stock snapshot."
)


def _save(action, *, done: str, **kwargs) -> None:
    try:
        action(**kwargs)
    except InvdashError as err:
        st.error(str(err))
    else:
        st.toast(done)
        st.rerun()


if not paging.product_count():
    st.info("No products yet; load a products file on the Data page.")
    st.stop()
sku = paging.sku_picker("SKU", key="master_sku")  # searched in DuckDB, not listed whole
if sku is None:
    st.stop()
category = str(paging.product(sku)["category"])
current = purchasing_views.master_values(sku)

edit, override, fva = st.tabs(["Edit master data", "Forecast overrides", "Forecast value added"])
with edit:
    with st.form("master_form"):
        cols = st.columns(3)
        form = {}
        for number, (field, label) in enumerate(purchasing_views.MASTER_LABELS.items()):
            widget = (
                cols[number % 3].text_input
                if field == "supplier"
                else cols[number % 3].number_input
            )
            form[field] = widget(label, value=current[field], key=f"master_{field}_{sku}")
        if st.form_submit_button("Save changes", type="primary"):
            _save(purchasing_views.save_master_data, sku=sku, form=form, done=f"{sku} saved")
    st.markdown("**Change history**")
    st.dataframe(relabel(purchasing_views.audit(sku)), hide_index=True)

with override:
    st.dataframe(relabel(purchasing_views.overrides()), hide_index=True)
    first, last = purchasing_views.override_window()
    with st.form("override_form"):
        scope = st.radio(
            "Applies to", [f"SKU {sku}", f"category {category}"], key="override_scope",
            horizontal=True,
        )  # fmt: skip
        cols = st.columns(2)
        start = cols[0].date_input("From", value=first.date(), key="override_from")
        end = cols[1].date_input("To", value=last.date(), key="override_to")
        kind = cols[0].selectbox("Change", ["factor", "units", "set"], key="override_kind")
        value = cols[1].number_input("Factor, or units per day", value=1.0, key="override_value")
        reason = st.text_input("Reason", key="override_reason")
        if st.form_submit_button("Save override", type="primary"):
            target = {"sku": sku} if scope.startswith("SKU") else {"category": category}
            _save(
                purchasing_views.add_override, start=start, end=end, kind=kind, value=value,
                reason=reason, done="Override saved", **target,
            )  # fmt: skip

with fva:
    st.caption(
        "Per override: the error of the system forecast and of the overridden one on the "
        "actuals (MAE; bias in units per day); FVA = system MAE - override MAE, > 0 helped."
    )
    st.dataframe(relabel(purchasing_views.fva()), hide_index=True)
