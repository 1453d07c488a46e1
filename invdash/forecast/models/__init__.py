"""Forecasting models, one module per family, all following the contract in ``base.py``.

``baseline`` (seasonal naive, moving averages), ``statistical`` (ETS, damped trend, ARIMA),
``intermittent`` (Croston, SBA, TSB), ``neural`` (the global transformer, with ``neural_data`` and
``neural_net``) and ``coldstart`` (similar products for SKUs without history). They are looked up
by name in ``invdash.forecast.registry``.
"""
