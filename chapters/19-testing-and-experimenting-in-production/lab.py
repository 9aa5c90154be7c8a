"""
An A/B test of two upsell policies
==================================

Offline evaluation cannot tell us how real users react to a new design; an experiment in
production can. We split users at random between the current policy (A: offer audit protection
on every screen while the risk is high) and a new one (B: offer it once, on the review screen),
and ask how many users an experiment needs before the difference is trustworthy.
"""

# %%
# Setup. Figures go to the folder named by ``MLIP_LAB_OUTPUT`` (default ``./lab-output``).
import math
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from mlip.systems import get_system

OUTPUT = Path(os.environ.get("MLIP_LAB_OUTPUT", "lab-output"))
OUTPUT.mkdir(parents=True, exist_ok=True)
tax = get_system("tax")


# %%
# The two variants. A is the naive product; B waits for the review screen and asks once.
def policy_a(risk, prompts_shown, step):
    return risk >= 0.05


def policy_b(risk, prompts_shown, step):
    return step == "review" and prompts_shown == 0 and risk >= 0.05


# %%
# Random assignment means each arm sees an independent sample of users, which we simulate with
# different seeds per arm. The outcome is the share of users who *finish filing* (1 - abandon
# rate); we report the difference B - A with a 95% confidence interval (normal approximation
# for two proportions).
def finished_share(policy, n, seed):
    run = tax.run(n=n, seed=seed, extensions={"prompt_policy": policy})
    return 1.0 - run.system_metrics["abandon_rate"]


sizes = (100, 300, 1000, 3000)
estimates = []
for n in sizes:
    share_a = finished_share(policy_a, n, seed=100 + n)
    share_b = finished_share(policy_b, n, seed=200 + n)
    difference = share_b - share_a
    spread = 1.96 * math.sqrt(share_a * (1 - share_a) / n + share_b * (1 - share_b) / n)
    estimates.append((difference, spread))
    verdict = "B is better" if difference - spread > 0 else "not conclusive"
    print(
        f"{n:>5} users per arm | finished A {share_a:.3f} B {share_b:.3f} | "
        f"B - A = {difference:+.3f} ± {spread:.3f} ({verdict})"
    )

# %%
# Plot the estimate and its interval against the size of the experiment. Small experiments
# can point either way; the interval shrinks like one over the square root of the users.
fig, ax = plt.subplots(figsize=(7, 3.6))
ax.errorbar(
    range(len(sizes)),
    [d for d, _ in estimates],
    yerr=[s for _, s in estimates],
    fmt="o",
    capsize=5,
)
ax.axhline(0.0, color="grey", linewidth=1)
ax.set_xticks(range(len(sizes)), [str(n) for n in sizes])
ax.set(
    xlabel="users per arm",
    ylabel="finished filing: B minus A",
    title="A/B test of two upsell policies (95% intervals)",
)
fig.tight_layout()
fig.savefig(OUTPUT / "ab-test.png", dpi=110)
print("saved", OUTPUT / "ab-test.png")
