"""
A drift alarm on the tax software's telemetry
=============================================

In operation, nobody tells us that the world changed. We watch the system's own telemetry and
raise an alarm when it stops looking like it did when we shipped. Here a monitor watches the
audit-risk scores the model produces and compares a moving average with the first weeks of the
season, while incomes drift (the ``income_shift`` condition).
"""

# %%
# Setup. Figures go to the folder named by ``MLIP_LAB_OUTPUT`` (default ``./lab-output``).
import os
from collections import deque
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from mlip.systems import get_system

OUTPUT = Path(os.environ.get("MLIP_LAB_OUTPUT", "lab-output"))
OUTPUT.mkdir(parents=True, exist_ok=True)
tax = get_system("tax")
N = 3000


# %%
# The monitor is ordinary code plugged into the ``monitor`` extension point: it sees every
# telemetry event, and any text it returns becomes an ``alert`` event. It learns a baseline from
# the first 300 filed returns, then alarms once when the median tax due of the last 150 returns
# differs from it by more than half. It needs no labels — audit outcomes arrive weeks late,
# filed returns arrive now — and it watches the model's *inputs*, which move before its
# accuracy visibly does.
class TaxDueDriftMonitor:
    __name__ = "tax_due_drift"

    def __init__(self, baseline_size=300, window=150, tolerance=0.5):
        self.baseline, self.recent = [], deque(maxlen=window)
        self.baseline_size, self.tolerance = baseline_size, tolerance
        self.alarmed = False

    def __call__(self, event):
        if event["event"] != "filed" or self.alarmed:
            return None
        if len(self.baseline) < self.baseline_size:
            self.baseline.append(event["tax_due"])
            return None
        self.recent.append(event["tax_due"])
        if len(self.recent) < self.recent.maxlen:
            return None
        expected, current = float(np.median(self.baseline)), float(np.median(self.recent))
        if abs(current - expected) > self.tolerance * expected:
            self.alarmed = True
            return f"median tax due ${current:,.0f}, was ${expected:,.0f} early in the season"
        return None


# %%
# Run the season three times: no drift, a sudden shift and a gradual one. We keep every
# telemetry event in a list (the ``telemetry`` sink) to plot what the monitor saw.
runs = {}
for shift in ("none", "sudden", "gradual"):
    events = []
    result = tax.run(
        n=N,
        seed=6,
        conditions={"income_shift": shift},
        extensions={"monitor": TaxDueDriftMonitor()},
        telemetry=events.append,
    )
    alerts = [e for e in events if e["event"] == "alert"]
    runs[shift] = (events, alerts)
    when = f"week {alerts[0]['t']}: {alerts[0]['reason']}" if alerts else "no alarm"
    print(f"income shift {shift:>7} | AUC {result.model['auc']:.3f} | {when}")


# %%
# Plot the weekly median tax due with the moment the alarm fired. The model's AUC barely moved
# (printed above): a model-quality dashboard would have stayed green.
fig, ax = plt.subplots(figsize=(8, 3.6))
for shift, (events, alerts) in runs.items():
    weeks = {}
    for event in events:
        if event["event"] == "filed":
            weeks.setdefault(event["t"], []).append(event["tax_due"])
    t = sorted(weeks)
    (line,) = ax.plot(t, [np.median(weeks[w]) for w in t], label=f"income shift: {shift}")
    for alert in alerts:
        ax.axvline(alert["t"], color=line.get_color(), linestyle="--")
ax.set(
    xlabel="week of the filing season",
    ylabel="median tax due ($)",
    title="Incomes drift; dashed lines: the monitor's alarms",
)
ax.legend()
fig.tight_layout()
fig.savefig(OUTPUT / "drift-alarm.png", dpi=110)
print("saved", OUTPUT / "drift-alarm.png")
