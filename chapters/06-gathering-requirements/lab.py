"""
Requirements, specifications and the assumptions between them
=============================================================

"The toaster never starts a fire" is a requirement about the *world*. The software can only
promise something about the *machine*: for example "stop heating when the smoke sensor reads
more than 20 ppm". The two connect only through assumptions — here, that the smoke sensor works.
We check what happens to the requirement when that assumption breaks.
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
toaster = get_system("toaster")
N = 300

# %%
# The worst case for the model: a chaos model that answers NaN, so the naive controller never
# stops heating by itself. Whatever keeps the kitchen safe now is the specification we wrote.
broken_model = toaster.faulty_model("nan")


# %%
# Specification A relies on one assumption: the smoke sensor works.
def smoke_only(state):
    return state["smoke_ppm"] > 20


# %%
# Specification B adds an independent signal that does not depend on the smoke sensor: a limit
# on heating time. It cannot know the bread, so the limit is a trade-off: short limits stop
# fires even with a dead sensor, but also stop toast that legitimately needs longer.
def smoke_or_time(limit_seconds):
    def thermal_cutoff(state):
        return state["smoke_ppm"] > 20 or state["elapsed_seconds"] > limit_seconds

    return thermal_cutoff


# %%
# Check specification A, and B with a 160 s limit, in every sensor condition the environment
# can simulate.
sensor_faults = next(c for c in toaster.conditions() if c.name == "sensor_fault").values
specs = {"A: smoke only": smoke_only, "B: smoke or 160 s": smoke_or_time(160)}
fires = {label: [] for label in specs}
for fault in sensor_faults:
    for label, cutoff in specs.items():
        run = toaster.run(
            n=N,
            seed=2,
            model=broken_model,
            extensions={"thermal_cutoff": cutoff},
            conditions={"sensor_fault": fault},
        )
        fires[label].append(1000 * run.system_metrics["fires"] / N)
        print(f"sensor fault {fault:>13} | {label:>17} | fires per 1000: {fires[label][-1]:.0f}")

# %%
# What does the time limit cost when nothing is broken? Run the real model with working
# sensors and count good toast, next to the fires that remain with the dead smoke sensor.
limits = (140, 160, 180, 220)
good_toast, fires_dead_sensor = [], []
for limit in limits:
    cutoff = {"thermal_cutoff": smoke_or_time(limit)}
    normal = toaster.run(n=N, seed=2, extensions=cutoff)
    broken = toaster.run(
        n=N,
        seed=2,
        model=broken_model,
        extensions=cutoff,
        conditions={"sensor_fault": "smoke_dead"},
    )
    good_toast.append(normal.system_metrics["doneness_within_1"])
    fires_dead_sensor.append(1000 * broken.system_metrics["fires"] / N)
    print(f"limit {limit} s | good toast {good_toast[-1]:.2f} | fires {fires_dead_sensor[-1]:.0f}")

# %%
# Plot. Specification A meets the requirement exactly as long as its assumption holds;
# B trades some toast for robustness to a broken sensor.
x = np.arange(len(sensor_faults))
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
for offset, label in ((-0.2, "A: smoke only"), (0.2, "B: smoke or 160 s")):
    left.bar(x + offset, fires[label], width=0.4, label=label)
left.set_xticks(x, sensor_faults, fontsize=8)
left.set(xlabel="sensor condition", ylabel="fires per 1000 sessions", title="NaN-answering model")
left.legend()
right.plot(fires_dead_sensor, good_toast, "o-")
for limit, fire, good in zip(limits, fires_dead_sensor, good_toast, strict=True):
    right.annotate(f"{limit} s", (fire, good), textcoords="offset points", xytext=(5, -10))
right.set(
    xlabel="fires per 1000 (NaN model, dead smoke sensor)",
    ylabel="good toast (real model, sensors fine)",
    title="The price of a time limit",
)
fig.tight_layout()
fig.savefig(OUTPUT / "assumption-breaks.png", dpi=110)
print("saved", OUTPUT / "assumption-breaks.png")
