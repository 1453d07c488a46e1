"""invdash dashboard: page configuration, navigation and the shared sidebar.

Each page still calls ``auth_views.gate()`` first: a page can be run without this script
(``AppTest.switch_page`` does exactly that), so the check stays where the page's own code starts
and ``tests/app/test_access.py`` checks it on every page. A missing page file fails at start-up,
and ``tests/app/test_navigation.py`` checks that every file in ``pages/`` is registered here.
"""

import streamlit as st

from invdash.ui import review_views, state
from invdash.ui.cache import settings

st.set_page_config(page_title="invdash", layout="wide")

for key, value in state.DEFAULTS.items():
    st.session_state.setdefault(key, value)

PAGES = [
    ("pages/overview.py", "Overview", True),
    ("pages/sku_explorer.py", "SKU Explorer", False),
    ("pages/reorder.py", "Reorder Suggestions", False),
    ("pages/purchase_orders.py", "Purchase Orders", False),
    ("pages/master_data.py", "Master Data", False),
    ("pages/alerts.py", "Alerts", False),
    ("pages/replay.py", "Policy Replay", False),
    ("pages/recommendations.py", "Recommendations", False),
    ("pages/model_quality.py", "Model Quality", False),
    ("pages/upload_forecast.py", "Upload & Forecast", False),
    ("pages/data.py", "Data", False),
]

navigation = st.navigation(
    [st.Page(path, title=title, default=default) for path, title, default in PAGES]
)
with st.sidebar:
    st.caption(f"Database: `{settings().db_path}`")
    review_views.render_as_of()
navigation.run()
