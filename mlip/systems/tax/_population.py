"""The environment: a synthetic population of truthful returns and the tax office's hidden audits.

Everything is vectorised with numpy. Amounts are whole dollars drawn from log-normal
distributions (incomes are skewed: many modest, a few very large). Every return is entered
truthfully; some users genuinely have large deductions. The tax office's audit selection is
hidden from the system: it depends on the return non-linearly plus noise the model cannot see,
and it audits only a small fraction of returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlip.systems.tax._spec import AMOUNT_FIELDS

__all__ = [
    "AGE_BANDS",
    "PERIODS",
    "REGIONS",
    "Population",
    "apply_data_fault",
    "audit_probability",
    "generate_population",
    "round_share",
]

#: Weeks in a filing season; ``t`` of telemetry events counts them.
PERIODS = 52
AGE_BANDS: tuple[str, ...] = ("18-29", "30-44", "45-64", "65+")
REGIONS: tuple[str, ...] = ("north", "south", "east", "west")
#: Amounts that count for the "suspiciously round" pattern (income from forms is exact).
_ROUNDABLE = (
    "self_employment_income",
    "business_expenses",
    "home_office",
    "mortgage_interest",
    "medical",
    "charitable",
    "home_energy",
)
ROUND_UNIT = 500.0


@dataclass
class Population:
    """Returns of one season, one entry per user, as column arrays."""

    amounts: dict[str, np.ndarray]
    filing_status: np.ndarray  # int index into FILING_STATUSES
    age: np.ndarray
    age_band: np.ndarray  # int index into AGE_BANDS
    region: np.ndarray  # int index into REGIONS
    period: np.ndarray  # week of filing, 0 .. PERIODS-1
    risk_aversion: np.ndarray  # latent user trait in [0, 1]
    audit_noise: np.ndarray  # the part of audit selection nobody can observe

    def __len__(self) -> int:
        return len(self.period)

    def columns(self) -> dict[str, np.ndarray]:
        """The model's view: amounts plus the filing-status index."""
        return {**self.amounts, "filing_status": self.filing_status.astype(float)}


def _lognormal(rng: np.random.Generator, mean_log: float, sigma: float, n: int) -> np.ndarray:
    return np.round(rng.lognormal(mean_log, sigma, n))


def _income_factor(period: np.ndarray, income_shift: str) -> np.ndarray:
    if income_shift == "sudden":
        return np.where(period >= PERIODS // 2, 2.2, 1.0)
    if income_shift == "gradual":
        return 1.0 + 1.5 * period / (PERIODS - 1)
    return np.ones(len(period))


def generate_population(
    rng: np.random.Generator,
    n: int,
    *,
    income_shift: str = "none",
    deduction_pattern: str = "usual",
    age_mean: float = 46.0,
) -> Population:
    """Draw ``n`` truthful returns spread evenly over the season's weeks (``age_mean``: the
    filers' mean age; another value shifts who files, with the same random draws)."""
    status = rng.choice(3, size=n, p=[0.5, 0.38, 0.12])
    married = status == 1
    age = np.clip(np.round(rng.normal(age_mean, 16, n)), 18, 90)
    age_band = np.digitize(age, [30, 45, 65])
    region = rng.choice(4, size=n, p=[0.2, 0.35, 0.25, 0.2])
    period = (np.arange(n) * PERIODS) // n
    retired = age >= 65

    has_wages = rng.random(n) < np.where(retired, 0.3, 0.92)
    wages = np.where(has_wages, _lognormal(rng, 10.75, 0.65, n) * np.where(married, 1.5, 1.0), 0)
    has_se = rng.random(n) < 0.18
    self_employment = np.where(has_se, _lognormal(rng, 10.4, 1.0, n), 0)
    # Most business expenses are a modest share of income; some businesses genuinely spend most.
    expense_share = np.where(rng.random(n) < 0.08, rng.uniform(0.6, 0.95, n), rng.beta(2, 6, n))
    business_expenses = np.where(has_se, np.round(self_employment * expense_share), 0)
    home_office = np.where(has_se & (rng.random(n) < 0.4), _lognormal(rng, 8.0, 0.6, n), 0)
    # A few employees working from home enter their home office too (truthfully, wrongly).
    home_office = np.where(
        ~has_se & (rng.random(n) < 0.02), _lognormal(rng, 7.8, 0.5, n), home_office
    )
    has_investments = rng.random(n) < 0.15 + 0.006 * (age - 18)
    investment_income = np.where(has_investments, _lognormal(rng, 8.3, 1.4, n), 0)
    crypto_share = np.array([0.28, 0.15, 0.06, 0.02])[age_band]
    crypto_gains = np.where(rng.random(n) < crypto_share, _lognormal(rng, 8.4, 1.5, n), 0)

    factor = _income_factor(period, income_shift)
    wages, self_employment, business_expenses, investment_income, crypto_gains = (
        np.round(a * factor)
        for a in (wages, self_employment, business_expenses, investment_income, crypto_gains)
    )
    total_income = wages + self_employment + investment_income + crypto_gains

    has_mortgage = rng.random(n) < np.where((age >= 30) & (age < 70), 0.45, 0.15)
    mortgage = np.where(has_mortgage, _lognormal(rng, 9.3, 0.5, n), 0)
    has_medical = rng.random(n) < 0.15 + 0.004 * (age - 18)
    medical = np.where(has_medical, _lognormal(rng, 7.9, 1.1, n), 0)
    generous = rng.random(n) < 0.03  # genuinely large giving, a real share of their income
    charitable = np.where(rng.random(n) < 0.45, _lognormal(rng, 7.2, 1.1, n), 0) + np.where(
        generous, np.round(total_income * rng.uniform(0.1, 0.3, n)), 0
    )
    home_energy = np.zeros(n)
    if deduction_pattern == "new":
        claims = rng.random(n) < 0.33
        home_energy = np.where(claims, rng.choice([2000.0, 3200.0, 5000.0, 8000.0, 12000.0], n), 0)

    amounts = {
        "wages": wages,
        "self_employment_income": self_employment,
        "business_expenses": business_expenses,
        "home_office": home_office,
        "investment_income": investment_income,
        "crypto_gains": crypto_gains,
        "mortgage_interest": mortgage,
        "medical": medical,
        "charitable": charitable,
        "home_energy": home_energy,
    }
    # Some people estimate instead of looking up receipts: all their amounts come out round.
    rounder = rng.random(n) < 0.12
    for name in _ROUNDABLE:
        rounded = np.round(amounts[name] / 1000.0) * 1000.0
        amounts[name] = np.where(
            rounder & (amounts[name] > 0), np.maximum(rounded, 1000.0), amounts[name]
        )
    amounts = {name: amounts[name].astype(float) for name in AMOUNT_FIELDS}
    return Population(
        amounts=amounts,
        filing_status=status,
        age=age,
        age_band=age_band,
        region=region,
        period=period,
        risk_aversion=rng.beta(2, 5, n),
        audit_noise=rng.normal(0.0, 0.6, n),
    )


def round_share(amounts: dict[str, np.ndarray], fields: tuple[str, ...] = _ROUNDABLE) -> np.ndarray:
    """Share of a return's non-zero amounts that are multiples of $500 (NaN propagates)."""
    nonzero = np.zeros(len(amounts[fields[0]]))
    round_count = np.zeros_like(nonzero)
    for name in fields:
        values = amounts[name]
        nonzero = nonzero + (values != 0)
        round_count = round_count + ((values != 0) & (np.mod(values, ROUND_UNIT) == 0))
        round_count = round_count + np.where(np.isnan(values), np.nan, 0.0)
    return round_count / np.maximum(nonzero, 1.0)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def audit_probability(amounts: dict[str, np.ndarray], audit_noise: np.ndarray) -> np.ndarray:
    """The tax office's hidden chance of auditing each return (the ground truth of 'risk').

    High incomes, self-employment with large expenses, crypto, deductions that are large for
    the income and round numbers raise it. The new home-energy deduction is routine to the tax
    office, so it does not count towards 'large deductions' or round numbers.
    """
    a = amounts
    total = a["wages"] + a["self_employment_income"] + a["investment_income"] + a["crypto_gains"]
    total = np.maximum(total, 1.0)
    se = a["self_employment_income"]
    has_se = se > 0
    expense_ratio = np.where(has_se, a["business_expenses"] / np.maximum(se, 1.0), 0.0)
    itemized = a["mortgage_interest"] + a["medical"] + a["charitable"]
    logit = (
        -4.6
        + 1.6 * _sigmoid(3.0 * (np.log(total) - np.log(250_000.0)))
        + 0.6 * has_se
        + 2.4 * np.clip(expense_ratio - 0.5, 0.0, 1.0)
        + 1.3 * ((a["home_office"] > 0) & ~has_se)
        + 0.7 * (a["crypto_gains"] > 0)
        + 0.5 * (a["crypto_gains"] > 20_000)
        + 3.0 * np.clip(itemized / total - 0.2, 0.0, 1.0)
        + 0.6 * (a["charitable"] / total > 0.08)
        + 1.2 * round_share(a, tuple(f for f in _ROUNDABLE if f != "home_energy"))
        + 0.2 * (a["home_energy"] > 0)
        + audit_noise
    )
    return _sigmoid(logit)


def apply_data_fault(
    rng: np.random.Generator, amounts: dict[str, np.ndarray], data_fault: str
) -> dict[str, np.ndarray]:
    """The amounts as the risk model and advice receive them after a faulty import."""
    if data_fault == "none":
        return amounts
    n = len(amounts["wages"])
    affected = rng.random(n) < (0.12 if data_fault == "missing_fields" else 0.15)
    seen = {name: values.copy() for name, values in amounts.items()}
    if data_fault == "missing_fields":
        for name in AMOUNT_FIELDS:
            drop = affected & (rng.random(n) < 0.3)
            seen[name][drop] = np.nan
    else:  # unit_error: the partner's import sends cents
        for name in AMOUNT_FIELDS:
            seen[name] = np.where(affected, seen[name] * 100.0, seen[name])
    return seen
