"""The planner's weekly cycle (issue 12, "Must show") in a real browser on a real server.

A small demo shop (30 SKUs x 200 days) with a stored fast forecast, as ``make run`` opens it.
Then, every step through the pages:

1. Data: upload one more day of sales for some SKUs (the day after the data's last date).
2. Reorder Suggestions: the stored forecast is stale now; "Run the forecast now".
3. Review a line whose product has a MOQ and packs of more than one unit.
4. Edit it to the MOQ plus one unit: refused, naming the pack rule and the nearest valid quantities.
5. Approve it.
6. SKU Explorer: "Run forecasts (all SKUs)" again; the Reorder page still shows the approval.
7. Purchase Orders: draft, send, receive everything.
8. SKU Explorer: the projected stock starts from the on hand raised by the receipt.

Afterwards, with the server stopped, the store is read to check what the pages claimed: the
re-forecast made a new policy run, the decision stayed the one approval made in the browser, and
the PO is received. Screenshots of each step go to ``tmp_path``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

USER = "e2e-manager"
MAIN = '[data-testid="stMainBlockContainer"]'


@pytest.fixture
def weekly_shop(tmp_path: Path) -> Path:
    """A 30-SKU demo shop with a stored moving-average forecast for its data."""
    from invdash import store
    from invdash.demo import build_demo
    from invdash.forecast.engine import run_forecast
    from invdash.forecast.options import ForecastOptions
    from invdash.forecast.stored import save_run

    path = tmp_path / "weekly.duckdb"
    conn = store.connect(path)
    try:
        build_demo(conn, n_skus=30, n_days=200, seed=7)
        sales, products = store.load_sales(conn), store.load_products(conn)
        run = run_forecast(sales, ForecastOptions(model="ma", folds=0), products=products)
        save_run(conn, run, data_version=store.data_version(conn))
    finally:
        conn.close()
    return path


def _shop_facts(db: Path) -> tuple[pd.Timestamp, pd.DataFrame]:
    """The data's last sales day and the products (read before the server starts)."""
    from invdash import store

    conn = store.connect_read_only(db)
    try:
        return store.load_sales(conn)["date"].max(), store.load_products(conn)
    finally:
        conn.close()


def _pack_rule_skus(products: pd.DataFrame) -> list[str]:
    """SKUs whose MOQ is a whole number of packs of more than one unit (MOQ + 1 breaks packs
    only)."""
    moq, pack = products["moq"].fillna(0), products["pack_size"].fillna(1)
    fits = (pack > 1) & (moq > pack) & (moq % pack == 0) & products["max_order_qty"].isna()
    return products.loc[fits, "sku"].astype(str).tolist()


def _new_sales_csv(tmp_path: Path, day: pd.Timestamp, skus: list[str]) -> Path:
    path = tmp_path / f"sales_{day.date()}.csv"
    rows = [f"{day.date()},{sku},{1 + n % 3}" for n, sku in enumerate(skus)]
    path.write_text("date,sku,qty\n" + "\n".join(rows) + "\n")
    return path


def _main(app):
    return app.page.locator(MAIN)


def _expect_text(app, pattern: str | re.Pattern) -> str:
    """Wait until the main area shows ``pattern`` (text or regex) outside a table's hidden cells;
    returns that element's text."""
    found = _main(app).get_by_text(pattern).filter(visible=True).first
    found.wait_for(state="visible")
    app.settle()
    found.scroll_into_view_if_needed()  # so the step's screenshot shows it
    return found.inner_text()


def _no_exception(app, step: str) -> None:
    shown = app.exceptions()
    assert not shown, f"{step}: {shown[0]}"


def _choose(app, key: str, sku: str) -> None:
    """Pick the option starting with ``sku`` in selectbox ``key`` by typing, as a user does."""
    box = app.page.locator(f".st-key-{key} input[role=combobox]")
    box.click()
    box.fill(sku)
    app.page.get_by_role("option", name=re.compile(rf"^{re.escape(sku)}\b")).first.click()
    try:  # the rerun the choice starts (settle alone may see the old run's finished page)
        app.page.wait_for_selector('[data-testid="stStatusWidget"]', timeout=2_000)
    except PlaywrightTimeoutError:
        pass  # the rerun was over before its status showed
    app.settle()
    assert box.input_value().startswith(f"{sku} "), box.input_value()


def _options(app, key: str) -> list[str]:
    """The options of selectbox ``key``, as its drop-down lists them."""
    app.page.locator(f".st-key-{key} input[role=combobox]").click()
    app.page.keyboard.press("ArrowDown")
    app.page.get_by_role("listbox").wait_for(timeout=30_000)
    options = app.page.get_by_role("option").all_inner_texts()
    app.page.keyboard.press("Escape")
    return options


def _click(app, key: str) -> None:
    app.page.locator(f".st-key-{key} button").click()


def _ingest(app, csv: Path) -> None:
    app.open("Data")
    app.page.locator(".st-key-data_upload input[type=file]").set_input_files(str(csv))
    _expect_text(app, "Detected ")
    _click(app, "data_ingest")
    _expect_text(app, re.compile(r"^Ingested\.$"))
    _no_exception(app, "ingest")


def _forecast_from_reorder(app) -> None:
    app.open("Reorder Suggestions")
    _expect_text(app, "There is no forecast for the current data yet")
    _click(app, "reorder_run_forecast")
    _expect_text(app, "Review a line")
    _no_exception(app, "forecast")


def _open_line(app, candidates: list[str]) -> str:
    """Select the first reorder line among ``candidates``; returns its SKU."""
    listed = [o.split(" \u2014 ")[0] for o in _options(app, "reorder_sku")]
    chosen = [s for s in listed if s in candidates]
    assert chosen, f"no reorder line with a MOQ and packs among {listed}"
    _choose(app, "reorder_sku", chosen[0])
    return chosen[0]


def _status(app) -> str:
    return _expect_text(app, re.compile(r"\. Status: \w+$"))


def _refused_edit(app, sku: str, moq: float, pack: float) -> None:
    app.page.locator(".st-key-reorder_action").get_by_text("edit", exact=True).click()
    app.settle()
    wrong = int(moq) + 1
    quantity = app.page.locator(".st-key-reorder_qty input")
    quantity.fill(str(wrong))
    quantity.press("Enter")
    app.settle()
    _click(app, "reorder_save")
    refusal = _expect_text(app, "breaks packs of")
    assert refusal.startswith(f"{sku}: {wrong} breaks packs of {pack:g}; "), refusal
    assert f"nearest valid: {moq:g} or {moq + pack:g}" in refusal, refusal
    assert "MOQ" not in refusal.split(";")[0], f"{wrong} meets MOQ {moq:g}: {refusal}"


def _approve(app) -> None:
    app.page.locator(".st-key-reorder_action").get_by_text("approve", exact=True).click()
    app.settle()
    _click(app, "reorder_save")
    _expect_text(app, re.compile(r"\. Status: approved$"))


def _reforecast(app) -> None:
    app.open("SKU Explorer")
    _click(app, "sku_explorer_run_all")
    _expect_text(app, re.compile(r"^Forecast 30 SKUs in .* stored and reused"))
    _no_exception(app, "re-forecast")


def _purchase_order(app, sku: str, qty: int) -> str:
    app.open("Purchase Orders")
    _expect_text(app, "Approved lines not yet on a PO")
    _click(app, "po_draft")
    header = _expect_text(app, re.compile(r"^PO-\S+ for .*: draft, 1 lines"))
    assert f"1 lines, {qty} units" in header, header
    po_id = header.split(" ")[0]
    app.screenshot("6_po_draft")
    _click(app, "po_send")
    _expect_text(app, re.compile(rf"^{re.escape(po_id)} for .*: sent, "))
    _click(app, "po_receive_all")
    _expect_text(app, re.compile(rf"^{re.escape(po_id)} for .*: received, "))
    _no_exception(app, f"purchase order {po_id} of {sku}")
    return po_id


def _on_hand(text: str) -> int:
    found = re.search(r"\(on hand (\d+) \+ on order (\d+)\)", text)
    assert found, f"no on hand in {text!r}"
    return int(found.group(1))


def _check_store(db: Path, sku: str, qty: int, po_id: str) -> float:
    """What the pages showed is what the store holds: one approval (the refused edit stored
    nothing), made on the first forecast and carried to the re-forecast, closed by the PO;
    returns the SKU's on hand now."""
    from invdash import reorder, store
    from invdash.forecast.stored import latest_forecast
    from invdash.reorder.purchasing import list_purchase_orders

    conn = store.connect_read_only(db)
    try:
        history = reorder.decision_history(conn, sku)
        approved_on = history.loc[history["event"] == "approve", "run_id"].tolist()
        decided_forecast = conn.execute(
            "SELECT forecast_run_id FROM policy_runs WHERE run_id = ?", approved_on[:1]
        ).fetchone()
        newest_forecast = latest_forecast(conn).run_id
        orders = list_purchase_orders(conn, currency="USD").set_index("po_id")
        on_hand = store.latest_on_hand(conn).set_index("sku").at[sku, "on_hand"]
    finally:
        conn.close()
    assert history["event"].tolist() == ["ordered", "approve"], history
    assert history["qty"].iloc[1] == qty and history["user"].iloc[1] == USER, history
    assert history["po_id"].iloc[0] == po_id, history
    assert decided_forecast is not None and decided_forecast[0] != newest_forecast
    assert orders.at[po_id, "status"] == "received" and orders.at[po_id, "units"] == qty
    return float(on_hand)


@pytest.mark.e2e
def test_the_planners_weekly_cycle_in_a_real_browser(weekly_shop, serve_app, app_page, tmp_path):
    last_day, products = _shop_facts(weekly_shop)
    candidates = _pack_rule_skus(products)
    rules = products.set_index("sku")
    csv = _new_sales_csv(tmp_path, last_day + pd.Timedelta(days=1), products["sku"].tolist()[:12])
    server = serve_app(
        weekly_shop, INVDASH_USER=USER, INVDASH_USERS_FILE=str(tmp_path / "no-users.toml")
    )
    app = app_page
    app.page.goto(server.url, wait_until="domcontentloaded")
    app.settle()

    _ingest(app, csv)
    app.screenshot("1_ingested")
    _forecast_from_reorder(app)
    sku = _open_line(app, candidates)
    before = _status(app)
    assert before.endswith("Status: pending"), before
    on_hand = _on_hand(before)
    suggested = int(float(app.page.locator(".st-key-reorder_qty input").input_value()))
    app.screenshot("2_review")

    moq, pack = float(rules.at[sku, "moq"]), float(rules.at[sku, "pack_size"])
    _refused_edit(app, sku, moq, pack)
    app.screenshot("3_refused_edit")
    assert _status(app).endswith("Status: pending"), "a refused edit stores no decision"

    _approve(app)
    note = re.compile(rf"^approved {suggested} on \d{{4}}-\d\d-\d\d by {USER}$")
    approval = _expect_text(app, note)
    app.screenshot("4_approved")

    _reforecast(app)
    app.open("Reorder Suggestions")
    _choose(app, "reorder_sku", sku)
    assert _status(app).endswith("Status: approved"), "the approval survives the re-forecast"
    assert _expect_text(app, approval) == approval
    app.screenshot("5_after_reforecast")

    po_id = _purchase_order(app, sku, suggested)
    app.screenshot("7_po_received")

    app.open("SKU Explorer")
    _choose(app, "sku_explorer_sku", sku)
    received = on_hand + suggested
    try:  # the SKU's own line, once the page shows it (not the SKU shown before the choice)
        stock = _expect_text(app, re.compile(rf"\(on hand {received} \+ on order"))
    except PlaywrightTimeoutError:
        stock = _expect_text(app, "(on hand ")
    assert _on_hand(stock) == received, stock
    _no_exception(app, "SKU Explorer after the receipt")
    app.screenshot("8_sku_explorer")

    server.stop()
    assert "Traceback" not in server.log_text()
    assert _check_store(weekly_shop, sku, suggested, po_id) == on_hand + suggested
