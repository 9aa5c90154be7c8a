"""
Planning for a model that will be wrong
=======================================

We replace the toaster's model with each kind of misbehaving model the kit can produce — NaN,
infinity, negative, huge, constant answers, exceptions and slow answers — and compare the naive
toaster with one that checks the model's answer and watches the chamber while heating.
"""

# %%
# Setup. Figures go to the folder named by ``MLIP_LAB_OUTPUT`` (default ``./lab-output``).
import math
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from mlip.systems import FAULT_KINDS, get_system

OUTPUT = Path(os.environ.get("MLIP_LAB_OUTPUT", "lab-output"))
OUTPUT.mkdir(parents=True, exist_ok=True)
toaster = get_system("toaster")
N = 300


# %%
# The guard. It does not try to fix the model; it bounds the damage any answer can do.
# A missing or absurd answer gets a conservative default, every answer gets a cap, and a
# cutoff watches smoke, temperature and time while the element is on.
def heating_guard(predicted_seconds, readings):
    if not math.isfinite(predicted_seconds) or predicted_seconds <= 0:
        return 90.0  # a light, safe default: undercooked toast can be toasted again
    return min(predicted_seconds, 240.0)


def thermal_cutoff(state):
    return (
        state["smoke_ppm"] > 20 or state["chamber_temp_c"] > 280 or state["elapsed_seconds"] > 300
    )


guards = {"heating_guard": heating_guard, "thermal_cutoff": thermal_cutoff}

# %%
# Run every fault kind, naive and guarded, on the same sessions.
kinds = ("none", *FAULT_KINDS)
outcomes = {"naive": [], "guarded": []}
for kind in kinds:
    model = None if kind == "none" else toaster.faulty_model(kind)
    for label, extensions in (("naive", None), ("guarded", guards)):
        run = toaster.run(n=N, seed=4, model=model, extensions=extensions)
        outcomes[label].append(run.system_metrics)
    naive, guarded = outcomes["naive"][-1], outcomes["guarded"][-1]
    print(
        f"{kind:>9} | fires naive {naive['fires']:3.0f} guarded {guarded['fires']:.0f} | "
        f"good toast naive {naive['doneness_within_1']:.2f} "
        f"guarded {guarded['doneness_within_1']:.2f}"
    )

# %%
# Plot. The guard cannot make bad predictions good — toast quality still drops with a broken
# model — but it turns dangerous failures into merely disappointing ones.
x = np.arange(len(kinds))
fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
for offset, label in ((-0.2, "naive"), (0.2, "guarded")):
    top.bar(x + offset, [1000 * m["fires"] / N for m in outcomes[label]], width=0.4, label=label)
    bottom.bar(x + offset, [m["doneness_within_1"] for m in outcomes[label]], width=0.4)
top.set(ylabel="fires per 1000", title="Each chaos model, with and without guards")
bottom.set(ylabel="good toast share", xlabel="model replaced by")
bottom.set_xticks(x, kinds)
top.legend()
fig.tight_layout()
fig.savefig(OUTPUT / "chaos-models.png", dpi=110)
print("saved", OUTPUT / "chaos-models.png")
