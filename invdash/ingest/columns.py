"""The six file kinds, their columns and header aliases; which kind a header is.

Design: a header name is normalised (lower case, only letters and digits, so ``Unit Price``,
``unit_price`` and ``UNITPRICE`` are one name) and looked up in the kind's alias table. Each
kind lists its columns with how they are parsed and checked. ``detect_kind`` tries the kinds
from the most specific header (order lines need an order id and a timestamp) to the least
(products need only a SKU). Two header columns that map to the same canonical column are an
error, never a silent choice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from invdash.schema import InvalidDataError

__all__ = [
    "KINDS", "KIND_NAMES", "Column", "ColumnMapping", "MAX_ABS_QTY", "normalize",
    "map_columns", "detect_kind",
]

#: The largest |quantity| accepted on one line or one day (units); more is a unit or column error.
MAX_ABS_QTY = 1e7


@dataclass(frozen=True)
class Column:
    """A canonical column of a file kind.

    Args:
        name: canonical name (the database column).
        parse: ``"key"`` (non-empty text), ``"text"``, ``"number"``, ``"timestamp"``,
            ``"day"`` (a date without time), ``"flag"``.
        required: the file must have it.
        aliases: normalised header names that mean this column.
        min_value: smallest allowed value (numbers), or None.
        rule: why, in words, for the message when ``min_value`` is broken.
        bounded: ``|value| <= MAX_ABS_QTY`` (quantities).
    """

    name: str
    parse: str
    required: bool
    aliases: tuple[str, ...]
    min_value: float | None = None
    rule: str = ""
    bounded: bool = False


_SKU = ("sku", "uniqueid", "itemid", "productid", "stockcode", "item", "itemcode", "productcode",
        "articleid", "article", "itemno", "productno")


def _sku() -> Column:
    return Column("sku", "key", True, _SKU)


KINDS: dict[str, tuple[Column, ...]] = {
    "order_lines": (
        Column("order_id", "key", True, ("invoiceno", "invoice", "invoiceid", "invoicenumber",
                                          "orderid", "orderno", "ordernumber", "order")),
        _sku(),
        Column("name", "text", False, ("description", "name", "productname", "title",
                                       "itemname")),
        Column("qty", "number", True, ("quantity", "qty", "units"), bounded=True),
        Column("ts", "timestamp", True, ("invoicedate", "ts", "timestamp", "orderdate",
                                         "datetime", "orderts", "ordertime", "createdat", "date")),
        Column("price", "number", False, ("unitprice", "price")),
        Column("customer_id", "text", False, ("customerid", "customer", "customerno", "clientid",
                                              "userid")),
    ),
    "purchase_orders": (
        Column("po_id", "key", True, ("poid", "po", "ponumber", "pono", "purchaseorder",
                                      "purchaseorderid")),
        _sku(),
        Column("qty", "number", True, ("qty", "quantity", "units", "orderqty"), 0.0,
               "ordered quantities must be >= 0", True),
        Column("eta", "day", False, ("eta", "expecteddate", "duedate", "arrival",
                                           "deliverydate", "arrivaldate")),
        Column("status", "text", False, ("status", "state")),
    ),
    "inventory": (
        _sku(),
        Column("as_of", "day", True, ("asof", "date", "snapshotdate", "day", "ds")),
        Column("on_hand", "number", True, ("onhand", "stock", "stocklevel", "onhandqty",
                                           "inventory", "qty", "quantity"), bounded=True),
    ),
    "sales": (
        Column("date", "day", True, ("date", "ds", "day", "orderdate", "salesdate",
                                           "saledate")),
        _sku(),
        Column("qty", "number", True, ("qty", "y", "quantity", "units", "sales", "unitssold",
                                       "qtysold", "demand"), 0.0, "units sold must be >= 0", True),
        Column("price", "number", False, ("price", "unitprice", "sellingprice"), 0.0,
               "prices must be >= 0"),
        Column("promo", "flag", False, ("promo", "promotion", "onpromo", "onpromotion",
                                        "ispromo")),
    ),
    "events": (
        Column("date", "day", True, ("date", "ds", "day", "eventdate")),
        Column("event", "key", True, ("event", "eventname", "holiday", "occasion")),
        Column("sku", "text", False, _SKU),
        Column("category", "text", False, ("category", "productcategory", "group",
                                           "department")),
    ),
    "products": (
        _sku(),
        Column("name", "text", False, ("name", "title", "productname", "description",
                                       "itemname")),
        Column("category", "text", False, ("category", "productcategory", "group",
                                           "department")),
        Column("unit_cost", "number", False, ("unitcost", "cost", "costprice", "purchaseprice"),
               0.0, "costs must be >= 0"),
        Column("unit_price", "number", False, ("unitprice", "price", "sellingprice",
                                               "retailprice"), 0.0, "prices must be >= 0"),
        Column("supplier", "text", False, ("supplier", "vendor", "suppliername")),
        Column("lead_time_days", "number", False, ("leadtimedays", "leadtime"), 0.0,
               "lead times must be >= 0 days"),
        Column("lead_time_sd_days", "number", False, ("leadtimesddays", "leadtimesd",
                                                      "leadtimestd"), 0.0,
               "a standard deviation must be >= 0"),
        Column("moq", "number", False, ("moq", "minorderqty", "minimumorderquantity"), 0.0,
               "minimum order quantities must be >= 0"),
        Column("pack_size", "number", False, ("packsize", "casepack", "packqty"), 0.0,
               "pack sizes must be >= 0"),
        Column("max_order_qty", "number", False, ("maxorderqty", "maxorder",
                                                  "maximumorderquantity"), 0.0,
               "maximum order quantities must be >= 0"),
    ),
}

KIND_NAMES = tuple(KINDS)

# Header names that only an inventory snapshot has (``qty`` alone says sales).
_INVENTORY_SIGNS = {"onhand", "stock", "stocklevel", "onhandqty", "inventory"}


def normalize(header_name: str) -> str:
    """``"Unit Price"`` -> ``"unitprice"``: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", header_name.lower())


@dataclass(frozen=True)
class ColumnMapping:
    """Which file column feeds each canonical column.

    Args:
        kind: the file kind.
        columns: canonical name -> (position in the file, header name as written).
        ignored: header names that map to nothing (kept out of the database).
    """

    kind: str
    columns: dict[str, tuple[int, str]]
    ignored: tuple[str, ...]

    def source(self, name: str) -> str:
        """The header name (as written) that feeds canonical column ``name``."""
        return self.columns[name][1]


def _check_duplicates(file: str, header: tuple[str, ...]) -> None:
    seen: dict[str, str] = {}
    for name in header:
        key = normalize(name)
        if key and key in seen:
            raise InvalidDataError(
                f"{file}: duplicated column {name!r} (also {seen[key]!r}); "
                "rename or remove one of them so each column appears once."
            )
        seen[key] = name


def map_columns(file: str, header: tuple[str, ...], kind: str) -> ColumnMapping:
    """Map a header onto ``kind``'s columns.

    Raises:
        InvalidDataError: duplicated columns, two columns meaning the same thing, or a required
            column missing (the message lists what was found and the accepted names).
    """
    _check_duplicates(file, header)
    found: dict[str, tuple[int, str]] = {}
    ignored: list[str] = []
    for position, name in enumerate(header):
        column = next((c for c in KINDS[kind] if normalize(name) in c.aliases), None)
        if column is None:
            ignored.append(name)
            continue
        if column.name in found:
            raise InvalidDataError(
                f"{file}: columns {found[column.name][1]!r} and {name!r} both mean "
                f"{column.name}; keep one of them (rename or drop the other)."
            )
        found[column.name] = (position, name)
    missing = [c for c in KINDS[kind] if c.required and c.name not in found]
    if missing:
        accepted = "; ".join(f"{c.name}: {', '.join(c.aliases[:5])}" for c in missing)
        raise InvalidDataError(
            f"{file}: missing column(s) {', '.join(c.name for c in missing)} for a {kind} file "
            f"(columns found: {', '.join(header)}); add them or rename, accepted names: {accepted}."
        )
    return ColumnMapping(kind=kind, columns=found, ignored=tuple(ignored))


def _has(header: set[str], kind: str, name: str) -> bool:
    column = next(c for c in KINDS[kind] if c.name == name)
    return bool(header & set(column.aliases))


def detect_kind(file: str, header: tuple[str, ...]) -> str:
    """The kind of file this header belongs to (most specific first).

    Raises:
        InvalidDataError: no kind fits; the message lists the columns and the minimum per kind.
    """
    names = {normalize(h) for h in header}
    if all(_has(names, "order_lines", c) for c in ("order_id", "sku", "qty", "ts")):
        return "order_lines"
    if all(_has(names, "purchase_orders", c) for c in ("po_id", "sku", "qty")):
        return "purchase_orders"
    if _has(names, "inventory", "sku") and names & _INVENTORY_SIGNS:
        return "inventory"
    if all(_has(names, "sales", c) for c in ("date", "sku", "qty")):
        return "sales"
    if all(_has(names, "events", c) for c in ("date", "event")):
        return "events"
    if _has(names, "products", "sku") and not _has(names, "sales", "date"):
        return "products"
    raise InvalidDataError(
        f"{file}: cannot tell what kind of data this is (columns: {', '.join(header)}); "
        "a sales file needs date, sku, qty; order lines need order_id, sku, qty, ts; products "
        "need sku; inventory needs sku, as_of, on_hand; purchase orders need po_id, sku, qty; "
        "events need date, event (and optionally sku or category). "
        "Rename the columns or pass --kind."
    )
