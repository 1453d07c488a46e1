"""The only Streamlit-aware part of invdash: one cache module, chart builders, views, labels, state.

- ``cache.py``: every ``st.cache_*`` of the dashboard (through one helper) and the short-lived
  database connections.
- ``charts/``: plotly builders, pure functions of frames (forecast fan, projected stock, sales
  trend, replay).
- ``<area>_views.py``: what a page reads and writes, as ``cache`` calls of core functions, and
  page sections that only render; ``session.py``: who acts and what they may do.
- ``labels.py`` (display names) and ``state.py`` (session-state keys shared by pages).
"""
