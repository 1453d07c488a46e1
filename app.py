"""invdash dashboard: page configuration, the sign-in gate, navigation and the shared sidebar.

With ``st.navigation`` every page URL is served through this script (Streamlit then ignores the
``pages/`` folder's own routing), so the one gate here covers every page and the pages do not
repeat it. A missing page file fails at start-up, and ``tests/app/test_navigation.py`` checks that
every file in ``pages/`` is registered here.
"""

import streamlit as st

from invdash.ui import auth_views, state
from invdash.ui.cache import settings

st.set_page_config(page_title="invdash", layout="wide")

for key, value in state.DEFAULTS.items():
    st.session_state.setdefault(key, value)

PAGES = [
    ("pages/overview.py", "Overview", True),
    ("pages/sku_explorer.py", "SKU Explorer", False),
    ("pages/reorder.py", "Reorder Suggestions", False),
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
auth_views.gate()  # sign-in, local single-user mode or refusal; stops the run if needed
with st.sidebar:
    st.caption(f"Database: `{settings().db_path}`")
navigation.run()
