"""invdash dashboard: page configuration, navigation and the shared sidebar. Nothing else."""

from pathlib import Path

import streamlit as st

from invdash.ui import state
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

here = Path(__file__).parent
navigation = st.navigation(
    [
        st.Page(path, title=title, default=default)
        for path, title, default in PAGES
        if (here / path).exists()
    ]
)
with st.sidebar:
    st.caption(f"Database: `{settings().db_path}`")
navigation.run()
