"""
Goals at three levels: model, users, organization
=================================================

The tax software's audit-risk model is fixed in this lab; only the *policy* that decides when
to offer paid audit protection changes. We measure a model goal (AUC), a user goal (people who
give up filing) and an organizational goal (protection sales) for each policy.
"""

# %%
# Setup. Figures go to the folder named by ``MLIP_LAB_OUTPUT`` (default ``./lab-output``).
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from mlip.systems import get_system

OUTPUT = Path(os.environ.get("MLIP_LAB_OUTPUT", "lab-output"))
OUTPUT.mkdir(parents=True, exist_ok=True)
tax = get_system("tax")
N = 2000


# %%
# A family of upsell policies: offer protection when the model's risk is at least
# ``threshold``, at most ``max_prompts`` times per user. The naive product prompts on every
# screen while risk >= 0.05.
def make_policy(threshold, max_prompts):
    def prompt_policy(risk, prompts_shown, step):
        return risk >= threshold and prompts_shown < max_prompts

    return prompt_policy


# %%
# Measure every policy on the same simulated users (same seed).
results = []
for threshold in (0.0, 0.02, 0.05, 0.1, 0.2):
    for max_prompts in (1, 5):
        run = tax.run(
            n=N, seed=3, extensions={"prompt_policy": make_policy(threshold, max_prompts)}
        )
        results.append((threshold, max_prompts, run))
        print(
            f"risk >= {threshold:<4} max {max_prompts} prompts | AUC {run.model['auc']:.3f} | "
            f"bought protection {run.system_metrics['conversion_rate']:.3f} | "
            f"revenue/user ${run.system_metrics['revenue_per_user']:6.2f} | "
            f"abandon {run.system_metrics['abandon_rate']:.3f} | "
            f"prompts/user {run.system_metrics['prompts_per_user']:.2f}"
        )

# %%
# Plot. The model's AUC is the same for every policy — it cannot tell these products apart —
# while sales and abandonment move in opposite directions. Choosing a policy is choosing
# between goals, and that choice is made outside the model.
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
for max_prompts, style in ((1, "o-"), (5, "s--")):
    rows = [(t, run) for t, m, run in results if m == max_prompts]
    thresholds = [t for t, _ in rows]
    left.plot(
        thresholds,
        [run.system_metrics["conversion_rate"] for _, run in rows],
        style,
        label=f"at most {max_prompts} prompt(s)",
    )
    right.plot(
        thresholds,
        [run.system_metrics["abandon_rate"] for _, run in rows],
        style,
        label=f"at most {max_prompts} prompt(s)",
    )
auc = results[0][2].model["auc"]
left.set(
    xlabel="prompt when risk >=",
    ylabel="revenue per user ($)",
    title="Organization: protection revenue",
)
right.set(
    xlabel="prompt when risk >=",
    ylabel="share of users who give up",
    title=f"Users: abandoned filings (model AUC {auc:.3f} throughout)",
)
left.legend()
fig.tight_layout()
fig.savefig(OUTPUT / "goals-tradeoff.png", dpi=110)
print("saved", OUTPUT / "goals-tradeoff.png")
