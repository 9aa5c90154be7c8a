"""The tax calculator: ordinary, deterministic software with no ML in it.

Simplified, US-2024-like rules, enough to make the numbers meaningful:

* total income = wages + self-employment income + investment income + crypto gains;
* adjusted income = total income - business expenses - home office (floored at 0);
* itemized deductions = mortgage interest + charitable giving + home-energy deduction
  + the part of medical costs above 7.5% of adjusted income;
* the calculator takes whichever is larger, the standard deduction or the itemized total;
* tax = progressive brackets on adjusted income minus that deduction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "BRACKETS",
    "FILING_STATUSES",
    "STANDARD_DEDUCTION",
    "TaxResult",
    "bracket_tax",
    "compute_tax",
]

FILING_STATUSES: tuple[str, ...] = ("single", "married_joint", "head_of_household")

STANDARD_DEDUCTION: dict[str, float] = {
    "single": 14_600.0,
    "married_joint": 29_200.0,
    "head_of_household": 21_900.0,
}

_RATES = (0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37)

#: Upper limits of each bracket (the last one is open-ended), by filing status.
BRACKETS: dict[str, tuple[tuple[float, float], ...]] = {
    status: tuple(zip((*limits, float("inf")), _RATES, strict=True))
    for status, limits in {
        "single": (11_600, 47_150, 100_525, 191_950, 243_725, 609_350),
        "married_joint": (23_200, 94_300, 201_050, 383_900, 487_450, 731_200),
        "head_of_household": (16_550, 63_100, 100_500, 191_950, 243_700, 609_350),
    }.items()
}

MEDICAL_FLOOR_SHARE = 0.075


@dataclass(frozen=True)
class TaxResult:
    """What the calculator tells the user."""

    total_income: float
    adjusted_income: float
    itemized: float
    deduction: str  # "standard" or "itemized"
    taxable_income: float
    tax_due: float


def bracket_tax(taxable_income: float, filing_status: str) -> float:
    """Progressive tax: each slice of income is taxed at its own bracket's rate."""
    tax = 0.0
    lower = 0.0
    for upper, rate in BRACKETS[filing_status]:
        if taxable_income <= lower:
            break
        tax += (min(taxable_income, upper) - lower) * rate
        lower = upper
    return round(tax, 2)


def compute_tax(tax_return: Mapping[str, object]) -> TaxResult:
    """Tax due on a return (a mapping with ``filing_status`` and the dollar amounts).

    Missing or ``None`` amounts count as zero; the calculator is the part of the system that
    must never guess.
    """
    status = str(tax_return["filing_status"])
    if status not in STANDARD_DEDUCTION:
        raise ValueError(f"unknown filing status {status!r}")

    def amount(name: str) -> float:
        value = tax_return.get(name)
        if value is None:
            return 0.0
        number = float(value)  # type: ignore[arg-type]  # amounts are numbers or None
        return number if number == number else 0.0  # NaN counts as missing

    total_income = (
        amount("wages")
        + amount("self_employment_income")
        + amount("investment_income")
        + amount("crypto_gains")
    )
    adjusted = max(0.0, total_income - amount("business_expenses") - amount("home_office"))
    medical = max(0.0, amount("medical") - MEDICAL_FLOOR_SHARE * adjusted)
    itemized = amount("mortgage_interest") + amount("charitable") + amount("home_energy") + medical
    standard = STANDARD_DEDUCTION[status]
    deduction = "itemized" if itemized > standard else "standard"
    taxable = max(0.0, adjusted - max(itemized, standard))
    return TaxResult(
        total_income=round(total_income, 2),
        adjusted_income=round(adjusted, 2),
        itemized=round(itemized, 2),
        deduction=deduction,
        taxable_income=round(taxable, 2),
        tax_due=bracket_tax(taxable, status),
    )
