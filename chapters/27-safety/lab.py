"""
Safety in depth: layers that fail independently
===============================================

A fire needs several things to go wrong at once: a heating time that is far too long, nothing
that stops the element, and a fuse that trips too late. Each safeguard removes one of those
conditions. We combine faults — a broken model *and* a broken sensor — and see which
combinations of safeguards still keep the kitchen safe.
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

from mlip.systems import get_system

OUTPUT = Path(os.environ.get("MLIP_LAB_OUTPUT", "lab-output"))
OUTPUT.mkdir(parents=True, exist_ok=True)
toaster = get_system("toaster")
N = 300


# %%
# Two independent safeguards. The *plan check* rejects implausible heating times before heating
# starts (anything not a number or outside 20–240 s becomes a light 90 s); the *watchdog*
# stops the element while heating on smoke or on a chamber hotter than normal toasting reaches.
def plan_check(predicted_seconds, readings):
    if not math.isfinite(predicted_seconds) or not 20 <= predicted_seconds <= 240:
        return 90.0
    return predicted_seconds


def watchdog(state):
    return state["smoke_ppm"] > 20 or state["chamber_temp_c"] > 300


designs = {
    "none (trust the model)": {},
    "plan check only": {"heating_guard": plan_check},
    "watchdog only": {"thermal_cutoff": watchdog},
    "both layers": {"heating_guard": plan_check, "thermal_cutoff": watchdog},
}


# %%
# A model mistake the plan check cannot see: a plausible but far too long answer.
class PlausibleButWrong:
    def predict_seconds(self, readings):
        return 230.0


# %%
# Hazard scenarios: one fault, then two faults at once.
scenarios = {
    "model answers NaN": (toaster.faulty_model("nan"), {}),
    "model answers 230 s": (PlausibleButWrong(), {}),
    "NaN + dead smoke sensor": (toaster.faulty_model("nan"), {"sensor_fault": "smoke_dead"}),
    "230 s + dead smoke sensor": (PlausibleButWrong(), {"sensor_fault": "smoke_dead"}),
}
fires = {design: [] for design in designs}
for scenario, (model, conditions) in scenarios.items():
    for design, extensions in designs.items():
        run = toaster.run(n=N, seed=5, model=model, extensions=extensions, conditions=conditions)
        fires[design].append(1000 * run.system_metrics["fires"] / N)
    print(f"{scenario:>26} | " + " | ".join(f"{d}: {fires[d][-1]:.0f}" for d in designs))

# %%
# Plot fires per 1000 sessions. Each single layer fails in some scenario; together they cover
# every scenario where the faults leave at least one layer intact. When both layers depend on
# something that breaks at once (last group), fires return: hazard analysis has to look for
# exactly these combinations.
x = np.arange(len(scenarios))
fig, ax = plt.subplots(figsize=(9, 3.8))
width = 0.2
for index, design in enumerate(designs):
    ax.bar(x + (index - 1.5) * width, fires[design], width=width, label=design)
ax.set_xticks(x, list(scenarios), fontsize=8)
ax.set(ylabel="fires per 1000 sessions", title="Which safeguards survive combined faults?")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(OUTPUT / "defense-in-depth.png", dpi=110)
print("saved", OUTPUT / "defense-in-depth.png")
