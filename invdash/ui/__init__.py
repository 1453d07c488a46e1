"""The only Streamlit-aware part of invdash: caching wrappers, chart builders, labels, state.

One module per area (``forecast_views.py``, ``policy_views.py``, ...) so each area's wrappers have
one owner; shared pieces (connections, labels, state keys) live in ``cache.py``, ``labels.py`` and
``state.py``.
"""
