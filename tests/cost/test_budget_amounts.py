"""Budget amounts are finite decimals within bounds, so no output can carry NaN or Infinity."""

from __future__ import annotations

import pytest

from assetguard.core.errors import ValidationError
from assetguard.cost.budget import parse_definitions


def _budget(amount: str) -> str:
    return ("Budget:\n  BudgetName: b\n  BudgetType: COST\n  TimeUnit: MONTHLY\n"
            f"  BudgetLimit: {{Amount: {amount}, Unit: USD}}\n")


@pytest.mark.parametrize(("amount", "message"), [
    ('"NaN"', "finite number"), ('"Infinity"', "finite number"), ('"-Infinity"', "finite number"),
    ('"1e400"', "at most 15,000,000,000,000"), ('"-1"', "must not be negative"), ('"abc"', "decimal number"),
    ("[1]", "decimal number"), ("true", "decimal number"), ('"0.00000000001"', "10 decimal places"),
    (".nan", "finite number"), (".inf", "finite number"),
])
def test_bad_amounts_are_refused_with_their_place(amount: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_definitions(_budget(amount), "b.yaml")
    assert "b.yaml:5 (Budget.BudgetLimit.Amount)" in str(caught.value) and message in str(caught.value)


@pytest.mark.parametrize(("amount", "stored"), [('"500"', "500"), ('"99.50"', "99.50"), ("250", "250"),
                                                ('"1e3"', "1000"), ("12.5", "12.5"), ('"15000000000000"', "15000000000000")])
def test_good_amounts_are_kept_in_plain_notation(amount: str, stored: str) -> None:
    [definition] = parse_definitions(_budget(amount), "b.yaml")
    assert definition.Budget.BudgetLimit is not None
    assert definition.Budget.BudgetLimit.Amount == stored
