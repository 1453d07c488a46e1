"""invdash: sales data -> forecast -> stock policy -> alerts -> reviewed purchase orders.

The package is a pure core (no Streamlit outside ``invdash.ui``). Importing it opens no file
and loads no model.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
