"""
Bad data in production, and validating it at the boundary
=========================================================

The tax software imports entries from other sources (employers, banks, last year's return).
Imports break: fields arrive empty, or amounts arrive in cents instead of dollars. We inject
both faults (the ``data_fault`` condition), look at what they do to the model *and* to users,
and add a validation step before the system acts on the model's output.
"""

# %%
# Setup. Figures go to the folder named by ``MLIP_LAB_OUTPUT`` (default ``./lab-output``).
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from mlip.systems import get_system

OUTPUT = Path(os.environ.get("MLIP_LAB_OUTPUT", "lab-output"))
OUTPUT.mkdir(parents=True, exist_ok=True)
tax = get_system("tax")
N = 2000
NOT_AMOUNTS = {"return_id", "filing_status", "age_band", "region"}


# %%
# A data validator written as an ``advice_guard``: before showing advice based on a return,
# check the return itself. Empty fields, or wages beyond any plausible salary (a sign of an
# amount in cents), mean the data cannot be trusted, so the advice is not shown. The check
# encodes knowledge about *the data*, not about the model.
def problems_in(tax_return):
    problems = [
        name for name, value in tax_return.items() if name not in NOT_AMOUNTS and value is None
    ]
    if (tax_return.get("wages") or 0) > 2_000_000:
        problems.append("wages implausibly large (cents instead of dollars?)")
    return problems


def validating_guard(advice, tax_return, risk):
    return None if problems_in(tax_return) else advice


# %%
# Run each data condition with and without validation, on the same users.
faults = next(c for c in tax.conditions() if c.name == "data_fault").values
naive_runs, validated_runs = [], []
for fault in faults:
    naive = tax.run(n=N, seed=7, conditions={"data_fault": fault})
    validated = tax.run(
        n=N,
        seed=7,
        conditions={"data_fault": fault},
        extensions={"advice_guard": validating_guard},
    )
    naive_runs.append(naive)
    validated_runs.append(validated)
    print(
        f"{fault:>14} | AUC {naive.model['auc']:.3f} | usable scores "
        f"{naive.model['valid_output_rate']:.3f} | harmful advice: naive "
        f"{naive.system_metrics['harmful_advice']:.4f}, validated "
        f"{validated.system_metrics['harmful_advice']:.4f} | prompts/user "
        f"{naive.system_metrics['prompts_per_user']:.2f}"
    )

# %%
# Plot. Empty fields mostly hurt the *model* (lower AUC, unusable scores: the product silently
# stops advising). Amounts in cents barely dent the AUC but hurt *users*: more harmful advice and
# more upsell prompts. Validation at the boundary removes the extra harm.
x = np.arange(len(faults))
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
left.bar(x - 0.2, [r.model["auc"] for r in naive_runs], width=0.4, label="AUC")
left.bar(
    x + 0.2, [r.model["valid_output_rate"] for r in naive_runs], width=0.4, label="usable scores"
)
left.set_xticks(x, faults)
left.set(ylim=(0.5, 1.02), title="Model quality", xlabel="data fault")
left.legend(loc="lower left")
for offset, label, runs in ((-0.2, "naive", naive_runs), (0.2, "validated", validated_runs)):
    right.bar(
        x + offset,
        [1000 * r.system_metrics["harmful_advice"] for r in runs],
        width=0.4,
        label=label,
    )
right.set_xticks(x, faults)
right.set(ylabel="harmful advice per 1000 users", title="Harm to users", xlabel="data fault")
right.legend(loc="lower left")
fig.tight_layout()
fig.savefig(OUTPUT / "data-faults.png", dpi=110)
print("saved", OUTPUT / "data-faults.png")
