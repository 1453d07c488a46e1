"""The demo shop's catalogue: readable product titles, categories, suppliers and economics.

Design:
- Each category has a few product types; a type has its own modifiers (material, style) and
  sizes, and the category has a colour palette. A title is ``"<modifier> <type> <size> <colour>"``,
  e.g. ``"Stoneware Coffee Mug 350ml Sage"``. Titles are drawn without replacement from that
  product space, so they are unique; past its capacity an ``"Edition k"`` suffix keeps them unique.
- The colour is the product's *collection*: the order generator puts items of one collection into
  the same baskets, which gives the co-purchase structure the recommenders learn.
- Demand level and seasonality come from the category and the type (see ``demand.py``), so
  similar titles within a category have similar demand patterns and MiniLM text similarity
  between titles means something for cold-start forecasts.
- Suppliers belong to a category and carry the lead time (mean and standard deviation, days);
  MOQ and pack size follow the unit price (cheap items come in cases of 6 to 24).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Category", "CATEGORIES", "make_catalog"]


@dataclass(frozen=True)
class Category:
    """One category of the demo catalogue.

    Args:
        name: display name, e.g. ``"Kitchen"``.
        prefix: SKU prefix, e.g. ``"KIT"``.
        share: share of the catalogue's SKUs.
        types: ``(type name, list price, demand level per day, modifiers, sizes)`` tuples.
        colours: the palette (each colour is a collection).
        suppliers: ``(supplier name, lead time mean in days, lead time sd in days)`` tuples.
    """

    name: str
    prefix: str
    share: float
    types: tuple[tuple[str, float, float, tuple[str, ...], tuple[str, ...]], ...]
    colours: tuple[str, ...]
    suppliers: tuple[tuple[str, float, float], ...]


_EARTHY = ("Sage", "Navy", "Terracotta", "Ivory", "Charcoal", "Mustard", "Blush", "Teal")

CATEGORIES: tuple[Category, ...] = (
    Category(
        "Kitchen", "KIT", 0.20,
        (
            (
                "Coffee Mug", 9.5, 6.0, ("Ceramic", "Stoneware", "Enamel"),
                ("250ml", "350ml", "450ml"),
            ),
            ("Tea Cup", 8.0, 3.0, ("Porcelain", "Ceramic"), ("200ml", "250ml")),
            ("Cereal Bowl", 11.0, 3.5, ("Stoneware", "Bamboo", "Ceramic"), ("15cm", "18cm")),
            ("Dinner Plate", 13.0, 2.5, ("Stoneware", "Porcelain"), ("24cm", "27cm")),
            ("Serving Jug", 18.0, 1.0, ("Glass", "Ceramic"), ("1l", "1.5l")),
        ),
        _EARTHY,
        (("Nordic Ceramics Ltd", 21.0, 4.0), ("Stoke Pottery Co", 10.0, 2.0)),
    ),
    Category(
        "Home Decor", "HOM", 0.18,
        (
            ("Scented Candle", 14.0, 4.0, ("Soy Wax", "Beeswax"), ("200g", "400g")),
            ("Photo Frame", 12.0, 2.5, ("Oak", "Brass", "Walnut"), ("10x15cm", "13x18cm", "A4")),
            ("Cushion Cover", 16.0, 3.0, ("Linen", "Velvet", "Cotton"), ("45x45cm", "50x50cm")),
            ("Flower Vase", 22.0, 1.2, ("Glass", "Ceramic"), ("20cm", "30cm")),
            ("Throw Blanket", 39.0, 0.8, ("Wool", "Cotton Knit"), ("130x170cm",)),
        ),
        _EARTHY,
        (("Casa Interiors BV", 28.0, 7.0), ("Loom & Wick Ltd", 14.0, 3.0)),
    ),
    Category(
        "Garden", "GAR", 0.14,
        (
            ("Plant Pot", 9.0, 5.0, ("Terracotta", "Glazed", "Concrete"), ("12cm", "17cm", "24cm")),
            ("Watering Can", 17.0, 1.5, ("Galvanised", "Recycled"), ("2l", "5l")),
            ("Bird Feeder", 15.0, 1.5, ("Wooden", "Metal"), ("Hanging", "Pole")),
            ("Garden Gloves", 8.0, 2.0, ("Leather", "Bamboo"), ("S", "M", "L")),
            ("Seed Tray", 6.0, 2.0, ("Recycled", "Biodegradable"), ("12-cell", "24-cell")),
        ),
        ("Green", "Sand", "Charcoal", "Terracotta", "Olive", "Slate"),
        (("GreenGrow Supplies", 12.0, 3.0), ("Fieldway Imports", 35.0, 8.0)),
    ),
    Category(
        "Stationery", "STA", 0.16,
        (
            ("Notebook", 7.5, 6.0, ("Lined", "Dotted", "Plain"), ("A5", "A4")),
            ("Gel Pen Set", 6.0, 4.0, ("Fine", "Medium"), ("6-pack", "12-pack")),
            ("Desk Planner", 14.0, 1.5, ("Weekly", "Daily"), ("A5", "A4")),
            ("Washi Tape", 5.0, 2.0, ("Pastel", "Metallic"), ("5-roll", "10-roll")),
            ("Sketchbook", 11.0, 1.5, ("Hardback", "Spiral"), ("A5", "A4")),
        ),
        ("Navy", "Blush", "Mint", "Black", "Yellow", "Lilac", "Forest"),
        (("PaperWorks GmbH", 9.0, 2.0), ("Inkwell Trading", 18.0, 5.0)),
    ),
    Category(
        "Toys", "TOY", 0.12,
        (
            ("Wooden Puzzle", 15.0, 2.0, ("Animal", "World Map", "Alphabet"), ("24pc", "48pc")),
            ("Plush Bear", 19.0, 2.5, ("Classic", "Sleepy"), ("20cm", "30cm")),
            ("Building Blocks", 24.0, 1.5, ("Wooden", "Soft"), ("30pc", "60pc")),
            ("Kite", 13.0, 0.8, ("Diamond", "Delta"), ("90cm", "120cm")),
        ),
        ("Red", "Blue", "Natural", "Rainbow", "Yellow"),
        (("Little Oak Toys", 30.0, 8.0), ("Playwell Asia", 45.0, 10.0)),
    ),
    Category(
        "Bath", "BTH", 0.12,
        (
            ("Bath Towel", 18.0, 3.0, ("Cotton", "Bamboo", "Waffle"), ("50x90cm", "70x140cm")),
            ("Soap Dish", 7.0, 1.5, ("Ceramic", "Bamboo"), ("Round", "Square")),
            ("Bath Mat", 21.0, 1.2, ("Cotton", "Cork"), ("50x80cm", "60x90cm")),
            ("Toothbrush Holder", 8.0, 1.0, ("Ceramic", "Glass"), ("Single", "Double")),
        ),
        ("White", "Sage", "Navy", "Sand", "Charcoal", "Blush"),
        (("Aegean Textiles SA", 25.0, 6.0), ("Stoke Pottery Co", 10.0, 2.0)),
    ),
    Category(
        "Festive", "FES", 0.08,
        (
            ("Christmas Bauble", 9.0, 3.0, ("Glass", "Velvet", "Glitter"), ("6-pack", "12-pack")),
            ("String Lights", 16.0, 2.5, ("Warm White", "Multicolour"), ("5m", "10m")),
            ("Advent Calendar", 22.0, 1.5, ("Wooden", "Fabric"), ("Classic", "Deluxe")),
            ("Gift Wrap", 4.5, 3.0, ("Kraft", "Foil"), ("3m Roll", "5m Roll")),
        ),
        ("Red", "Gold", "Silver", "Green", "White"),
        (("North Pole Trading", 40.0, 10.0), ("Yuletide Imports", 20.0, 5.0)),
    ),
)


def _title_space(category: Category) -> list[tuple[int, str]]:
    """Every ``(type index, title)`` of a category, in a fixed order."""
    return [
        (type_index, f"{modifier} {name} {size} {colour}")
        for type_index, (name, _, _, modifiers, sizes) in enumerate(category.types)
        for modifier in modifiers
        for size in sizes
        for colour in category.colours
    ]


def _category_products(
    category: Category, category_index: int, count: int, rng: np.random.Generator
) -> pd.DataFrame:
    space = _title_space(category)
    order = rng.permutation(len(space))
    picks = order[np.arange(count) % len(space)]
    editions = np.arange(count) // len(space)
    rows = []
    for number, (pick, edition) in enumerate(zip(picks, editions, strict=True)):
        type_index, title = space[pick]
        name, list_price, level, _, _ = category.types[type_index]
        colour = title.rsplit(" ", 1)[1]
        supplier_index = int(rng.integers(len(category.suppliers)))
        supplier, lead_mean, lead_sd = category.suppliers[supplier_index]
        rows.append({
            "sku": f"{category.prefix}-{number + 1:05d}",
            "name": title if edition == 0 else f"{title} Edition {edition + 1}",
            "category": category.name,
            "product_type": name,
            "collection": f"{category.name} {colour}",
            "base_price": list_price,
            "type_level": level,
            "category_index": category_index,
            "supplier": supplier,
            "lead_time_days": lead_mean,
            "lead_time_sd_days": lead_sd,
        })
    return pd.DataFrame(rows)


def _economics(products: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(products)
    price = products["base_price"].to_numpy() * rng.lognormal(0.0, 0.15, n)
    unit_price = np.round(np.maximum(np.round(price) - 0.01, 1.99), 2)
    unit_cost = np.round(unit_price * rng.uniform(0.30, 0.55, n), 2)
    cheap = unit_price < 10
    pack_size = np.where(cheap, rng.choice([6, 12, 24], n), rng.choice([1, 2, 4], n)).astype(float)
    moq = pack_size * np.where(cheap, rng.integers(2, 6, n), rng.integers(1, 4, n))
    return products.assign(
        unit_price=unit_price, unit_cost=unit_cost, moq=moq.astype(float), pack_size=pack_size
    )


def make_catalog(n_skus: int, rng: np.random.Generator) -> pd.DataFrame:
    """The product catalogue, sorted by SKU.

    Args:
        n_skus: number of products.
        rng: the shop's random generator.

    Returns:
        One row per SKU with the ``products`` table columns (``sku, name, category, unit_cost,
        unit_price, supplier, lead_time_days, lead_time_sd_days, moq, pack_size``) plus the
        generator's own columns ``product_type, collection, type_level, category_index``.
    """
    shares = np.array([c.share for c in CATEGORIES])
    counts = rng.multinomial(n_skus, shares / shares.sum())
    frames = [
        _category_products(category, index, int(count), rng)
        for index, (category, count) in enumerate(zip(CATEGORIES, counts, strict=True))
        if count > 0
    ]
    products = pd.concat(frames, ignore_index=True).sort_values("sku", ignore_index=True)
    products = _economics(products, rng)
    return products.drop(columns=["base_price"])
