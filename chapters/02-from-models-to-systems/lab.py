"""
Model accuracy is not system quality
====================================

We make the toaster's model worse on purpose, in two different ways, and watch two things at
once: the model's error (what a data scientist would report) and what happens in the kitchen
(what the user lives with). Then we add a few lines of ordinary code around the model.
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
from mlip.systems.loops import run_loop

OUTPUT = Path(os.environ.get("MLIP_LAB_OUTPUT", "lab-output"))
OUTPUT.mkdir(parents=True, exist_ok=True)
toaster = get_system("toaster")
model = toaster.load_model()
N = 600


# %%
# Two ways to be wrong. ``EverydayNoise`` adds modest random error to every answer.
# ``RareBlunders`` is exactly right most of the time but, now and then, answers eight times
# the sensible heating time. Both are seeded, so the lab gives the same numbers every run.
class EverydayNoise:
    def __init__(self, noise_seconds):
        self.noise_seconds = noise_seconds
        self.rng = np.random.default_rng(0)

    def predict_seconds(self, readings):
        return model.predict_seconds(readings) + self.rng.normal(0.0, self.noise_seconds)


class RareBlunders:
    def __init__(self, blunder_rate):
        self.blunder_rate = blunder_rate
        self.rng = np.random.default_rng(0)

    def predict_seconds(self, readings):
        seconds = model.predict_seconds(readings)
        return 8 * seconds if self.rng.random() < self.blunder_rate else seconds


# %%
# Non-ML code around the model: never plan more than four minutes or less than zero, fall
# back to a typical time when the answer is not a number, and stop heating at the first smoke
# or when the chamber is far too hot. It knows nothing about bread; it only encodes what is
# *never* sensible.
def heating_guard(predicted_seconds, readings):
    if not math.isfinite(predicted_seconds):
        return 120.0
    return min(max(predicted_seconds, 0.0), 240.0)


def thermal_cutoff(state):
    return state["smoke_ppm"] > 20 or state["chamber_temp_c"] > 280


guards = {"heating_guard": heating_guard, "thermal_cutoff": thermal_cutoff}


# %%
# Run the toaster with both families of worse models, trusting the model and guarded.
def measure(make_model, levels):
    rows = []
    for level in levels:
        naive = toaster.run(n=N, seed=1, model=make_model(level))
        guarded = toaster.run(n=N, seed=1, model=make_model(level), extensions=guards)
        rows.append((naive, guarded))
        print(
            f"{make_model.__name__:>13} {level:>5} | model MAE {naive.model['mae_seconds']:5.1f} s"
            f" | good toast {naive.system_metrics['doneness_within_1']:.2f}"
            f" | fires: naive {naive.system_metrics['fires']:3.0f},"
            f" guarded {guarded.system_metrics['fires']:.0f}"
        )
    return rows


noise_rows = measure(EverydayNoise, (10, 20, 40))
blunder_rows = measure(RareBlunders, (0.01, 0.03, 0.1))

# %%
# Plot model error against system outcomes. A model with a *smaller* average error can be the
# more dangerous one, and the guard removes the fires whatever the model does.
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
for label, rows, style, color in (
    ("everyday noise", noise_rows, "o-", "C0"),
    ("rare blunders", blunder_rows, "s-", "C1"),
):
    mae = [naive.model["mae_seconds"] for naive, _ in rows]
    left.plot(
        mae,
        [naive.system_metrics["doneness_within_1"] for naive, _ in rows],
        style,
        color=color,
        label=label,
    )
    fires = [1000 * naive.system_metrics["fires"] / N for naive, _ in rows]
    right.plot(mae, fires, style, color=color, label=f"{label}, trusted")
    guarded_fires = [1000 * guarded.system_metrics["fires"] / N for _, guarded in rows]
    right.plot(mae, guarded_fires, style, color=color, alpha=0.4, label=f"{label}, guarded")
left.set(
    xlabel="model error (MAE, seconds)",
    ylabel="share within one shade",
    title="Toast the user wanted",
)
right.set(
    xlabel="model error (MAE, seconds)", ylabel="fires per 1000 sessions", title="Kitchen fires"
)
left.legend()
right.legend(fontsize=8)
fig.tight_layout()
fig.savefig(OUTPUT / "accuracy-vs-outcome.png", dpi=110)
print("saved", OUTPUT / "accuracy-vs-outcome.png")


# %%
# Feedback loops. The loops below run the tax software for three filing seasons, the toaster
# for four months and the transcription service for three weeks. After every round the model
# is retrained on the labels that round produced, and the next round uses it. ``naive``
# learns from what the system's own actions reveal: the tax company from the customers its
# upsell sold audit protection to, the toaster from re-toasted slices plus every slice nobody
# complained about, the transcription service from its customers' corrections plus every word
# nobody corrected. ``reference`` pays for a small random sample whose true outcome it learns
# whatever the model said (and keeps part of it out of training, to measure the model).
loops = {}
for system, rounds, size in (
    ("tax", 3, 10_000),
    ("toaster", 4, 2_000),
    ("transcription", 3, 1_000),
):
    for design in ("naive", "reference"):
        result = run_loop(system, rounds=rounds, seed=0, design=design, n=size)
        loops[system, design] = result
        print(f"{system} {design:>9} | {result.quality_metric} on everyone: ", end="")
        print(" ".join(f"{q:.3f}" for q in result.series("quality")), end="")
        labelled = [q for q in result.series("labelled_quality") if q is not None]
        print(" | on its own labels:", " ".join(f"{q:.3f}" for q in labelled) or "none", end="")
        print(" | value:", " ".join(f"{v:.3f}" for v in result.series("value")), end="")
        print(f" | label cost: {sum(result.series('label_cost')):.0f}")
tax_upsold = [r.extra["flagged_rate"] for r in loops["tax", "naive"].rounds]
print("tax naive | share of filers the upsell targets:", " ".join(f"{s:.3f}" for s in tax_upsold))
for design in ("naive", "reference"):
    rounds = loops["transcription", design].rounds
    familiar = " ".join(f"{r.extra['wer_familiar']:.3f}" for r in rounds)
    unfamiliar = " ".join(f"{r.extra['wer_unfamiliar']:.3f}" for r in rounds)
    print(f"transcription {design:>9} | wer, familiar voices: {familiar}", end="")
    print(f" | unfamiliar voices: {unfamiliar}")

# %%
# Plot the loops: each model on the whole population, and the toast the toaster produced.
fig, axes = plt.subplots(1, 4, figsize=(14, 3.4))
panel = {"tax": 0, "toaster": 1, "transcription": 3}
for (system, design), result in loops.items():
    color = "C3" if design == "naive" else "C0"
    axes[panel[system]].plot(result.series("quality"), "o-", color=color, label=design)
    if system == "toaster":
        axes[2].plot(result.series("value"), "o-", color=color, label=design)
axes[0].set(xlabel="season", ylabel="AUC on everyone", title="Tax: audit-risk model")
axes[1].set(xlabel="month", ylabel="MAE on everyone (s)", title="Toaster: heating model")
axes[2].set(xlabel="month", ylabel="share within one shade", title="Toaster: good toast")
axes[3].set(xlabel="week", ylabel="WER on everyone", title="Transcription: speech model")
for axis in axes:
    axis.legend(fontsize=8)
fig.tight_layout()
fig.savefig(OUTPUT / "feedback-loops.png", dpi=110)
print("saved", OUTPUT / "feedback-loops.png")


# %%
# More accuracy is not more value. The loops above already hold the evidence: put each
# round's model quality next to what the system earned or delivered in that round. For the
# tax software value is net revenue per filer; for the transcription service it is the share
# of words right in the transcripts customers end up with, after fixing what they noticed.
for design in ("naive", "reference"):
    rounds = loops["tax", design].rounds
    print(f"tax {design:>9} | auc:", " ".join(f"{r.quality:.3f}" for r in rounds), end="")
    print(" | revenue per filer:", " ".join(f"{r.value:.3f}" for r in rounds))
for design in ("naive", "reference"):
    rounds = loops["transcription", design].rounds
    print(f"transcription {design:>9} | wer:", " ".join(f"{r.quality:.3f}" for r in rounds), end="")
    print(" | words right:", " ".join(f"{r.value:.3f}" for r in rounds), end="")
    print(" | highlighted:", " ".join(f"{r.extra['highlighted_rate']:.3f}" for r in rounds), end="")
    print(" | edited:", " ".join(f"{r.extra['edit_rate']:.3f}" for r in rounds))

# %%
# Plot model quality against value, one point per round and design.
fig, (tax_axis, speech_axis) = plt.subplots(1, 2, figsize=(9, 3.6))
for design, color in (("naive", "C3"), ("reference", "C0")):
    tax_rounds = loops["tax", design].rounds
    tax_axis.plot(
        [r.quality for r in tax_rounds], [r.value for r in tax_rounds], "o", color=color,
        label=design,
    )  # fmt: skip
    speech_rounds = loops["transcription", design].rounds
    speech_axis.plot(
        [r.quality for r in speech_rounds], [r.value for r in speech_rounds], "o", color=color,
        label=design,
    )  # fmt: skip
tax_axis.set(xlabel="AUC on everyone", ylabel="revenue per filer (USD)", title="Tax software")
speech_axis.set(
    xlabel="WER on everyone (lower is better)",
    ylabel="share of words right after editing",
    title="Transcription service",
)
tax_axis.legend(fontsize=8)
speech_axis.legend(fontsize=8)
fig.tight_layout()
fig.savefig(OUTPUT / "accuracy-vs-value.png", dpi=110)
print("saved", OUTPUT / "accuracy-vs-value.png")
