"""Order rules on edits: MOQ, whole packs, maximum order and the supplier minimum, with the
nearest valid quantities in the refusal."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invdash.reorder import OrderRules, RuleBrokenError, broken_rules, check_quantity, nearest_valid
from invdash.reorder.rules import supplier_minimum_rule

MOQ_24_PACK_12 = OrderRules(moq=24, pack_size=12)


def test_the_issue_example_names_both_rules_and_the_nearest_valid_quantities():
    with pytest.raises(
        RuleBrokenError, match=r"5 breaks MOQ 24 / packs of 12; nearest valid: 24 or 36"
    ) as err:
        check_quantity(5, MOQ_24_PACK_12, sku="SKU-1")
    assert err.value.rules == ("MOQ 24", "packs of 12") and err.value.nearest == (24, 36)


@pytest.mark.parametrize(
    ("qty", "nearest"), [(5, (24, 36)), (30, (24, 36)), (40, (36, 48)), (25, (24, 36))]
)
def test_nearest_valid_quantities_are_whole_packs_at_or_above_the_moq(qty, nearest):
    assert nearest_valid(qty, MOQ_24_PACK_12) == nearest


def test_valid_quantities_and_zero_pass():
    for qty in (0, 24, 36, 120):
        assert check_quantity(qty, MOQ_24_PACK_12, sku="S") == ()


def test_the_maximum_order_is_a_rule_and_bounds_the_nearest_quantities():
    rules = OrderRules(moq=24, pack_size=12, max_order_qty=100)
    assert broken_rules(120, rules) == ("maximum order 100",)
    assert nearest_valid(120, rules) == (84, 96)
    with pytest.raises(
        RuleBrokenError, match="120 breaks maximum order 100; nearest valid: 84 or 96"
    ):
        check_quantity(120, rules, sku="S")


def test_rules_from_table_cells_treat_null_and_zero_as_no_rule():
    rules = OrderRules.from_values(None, 0, float("nan"))
    assert rules == OrderRules(moq=0.0, pack_size=1.0, max_order_qty=None)
    assert broken_rules(7, rules) == ()


def test_the_supplier_minimum_refuses_only_an_edit_that_drops_below_it():
    assert (
        supplier_minimum_rule(
            supplier="Acme", total_before=250, total_after=150, min_order_value=200
        )
        == "supplier minimum order value 200.00 (Acme total 150.00)"
    )
    assert (
        supplier_minimum_rule(
            supplier="Acme", total_before=100, total_after=150, min_order_value=200
        )
        is None
    ), "an order still growing towards the minimum only warns"
    assert (
        supplier_minimum_rule(
            supplier="Acme", total_before=250, total_after=150, min_order_value=None
        )
        is None
    )


@settings(max_examples=60, deadline=None)
@given(
    qty=st.integers(1, 2000),
    moq=st.integers(0, 200),
    pack=st.integers(1, 48),
)
def test_the_nearest_quantities_offered_are_themselves_valid(qty, moq, pack):
    rules = OrderRules(moq=moq, pack_size=pack)
    nearest = nearest_valid(qty, rules)
    assert len(nearest) == 2
    assert all(broken_rules(n, rules) == () for n in nearest)
    assert all(n >= moq and n % pack == 0 for n in nearest)
