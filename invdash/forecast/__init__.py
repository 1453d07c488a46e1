"""Forecasting: estimator-style models, backtest, fusion and the forecast run.

See ``base.py`` for the contract every model follows.
"""

__all__: list[str] = []
