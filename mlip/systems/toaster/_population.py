"""Who toasts what: the mix of bread, starting temperatures and toasters, and the sensors.

Three worlds draw sessions from here. The *training logs* the model learns from cover the common
cases only: no frozen bagels, few old heating elements, no extra-thick slices. The *usual* world
of a default run contains a few of those under-represented cases, which is where the model makes
its meaningful mistakes. The *unseen* world is mostly such cases (a drift students should catch).
"""

from __future__ import annotations

import numpy as np

from mlip.systems.toaster._physics import BREADS, SessionBatch

__all__ = [
    "READING_NAMES",
    "element_health",
    "read_sensors",
    "sample_sessions",
]

#: What the pre-toast sensors report, in the order the model sees them.
READING_NAMES: tuple[str, ...] = (
    "desired_level",
    "thickness_mm",
    "surface_temp_c",
    "chamber_temp_c",
    "ambient_temp_c",
    "humidity_pct",
    "crust_darkness",
)

_BREAD_SHARES = np.array([0.30, 0.20, 0.15, 0.10, 0.15, 0.10])
_START_TEMPS_C = np.array([-18.0, 4.0, 21.0])  # frozen, fridge, room
_START_SHARES = np.array([0.15, 0.20, 0.65])
_LEVEL_SHARES = np.array([0.05, 0.12, 0.22, 0.25, 0.19, 0.11, 0.06])
_BAGEL = [b.name for b in BREADS].index("bagel")
_BRIOCHE = [b.name for b in BREADS].index("brioche")
#: Share of old toasters among the usual population (their element has lost power).
AGED_SHARE = 0.10
#: How much power an element loses over an ``ageing`` run, from first to last session.
AGEING_LOSS = 0.20


def element_health(
    rng: np.random.Generator, n_toasters: int, element: str, aged_share: float = AGED_SHARE
) -> np.ndarray:
    """Relative heating power of each toaster's element (1.0 = new).

    ``element`` is a run condition (usual, aged, ageing) or ``training`` (the logs: very few
    old elements) or ``new`` (none). ``aged_share``: the share of old elements in a usual
    world (another value shifts who toasts, with the same random draws).
    """
    new = rng.uniform(0.96, 1.0, n_toasters)
    old = rng.uniform(0.8, 0.9, n_toasters)
    if element == "aged":
        return old
    if element == "new":
        return new
    if element == "training":
        return np.where(rng.random(n_toasters) < 0.02, old, new)
    return np.where(rng.random(n_toasters) < aged_share, old, new)


def sample_sessions(
    rng: np.random.Generator,
    health: np.ndarray,
    ambient_c: np.ndarray,
    *,
    world: str,
) -> SessionBatch:
    """Draw one session per entry of ``health``; ``world`` is training, usual or unseen."""
    n = len(health)
    bread = rng.choice(len(BREADS), size=n, p=_BREAD_SHARES)
    start = rng.choice(_START_TEMPS_C, size=n, p=_START_SHARES)
    thickness_scale = 1.0 + rng.normal(0.0, 0.08, n)
    if world == "training":
        start = np.where((bread == _BAGEL) & (start < 0.0), 21.0, start)
    elif world == "unseen":
        odd = rng.random(n) < 0.5
        frozen_bagel = odd & (rng.random(n) < 0.5)
        thick_brioche = odd & ~frozen_bagel
        bread = np.where(frozen_bagel, _BAGEL, np.where(thick_brioche, _BRIOCHE, bread))
        start = np.where(frozen_bagel, -18.0, start)
        thickness_scale = np.where(thick_brioche, rng.uniform(1.8, 2.1, n), thickness_scale)
        thickness_scale = np.where(frozen_bagel, rng.uniform(1.1, 1.25, n), thickness_scale)
    moisture = np.array([b.moisture for b in BREADS])[bread] * (1.0 + rng.normal(0.0, 0.06, n))
    sugar = np.array([b.sugar for b in BREADS])[bread] * (1.0 + rng.normal(0.0, 0.08, n))
    thickness = np.array([b.thickness_mm for b in BREADS])[bread] * thickness_scale
    desired = rng.choice(np.arange(1, 8), size=n, p=_LEVEL_SHARES)
    return SessionBatch(
        bread=bread,
        moisture=np.clip(moisture, 0.15, 0.6),
        thickness_mm=np.clip(thickness, 6.0, 45.0),
        sugar=np.clip(sugar, 0.5, 2.5),
        start_temp_c=start + rng.normal(0.0, 1.0, n),
        ambient_c=ambient_c,
        health=health,
        desired_shade=desired.astype(float),
    )


def read_sensors(
    rng: np.random.Generator,
    batch: SessionBatch,
    chamber_start_c: np.ndarray,
    *,
    sensor_fault: str,
) -> np.ndarray:
    """Pre-toast readings, one row per session, columns in :data:`READING_NAMES` order.

    Every sensor is a little noisy; ``sensor_fault`` breaks one of them the way real sensors
    break. The optical crust sensor sees how dark (sugary) the crust already is, so the model
    can tell brioche from sourdough without being told the bread type. Faults:
    (``stuck_ir``: the infrared surface sensor always reports 20 °C; ``noisy_thermal``:
    the chamber thermometer is off by tens of degrees). ``smoke_dead`` only matters while heating.
    """
    n = len(batch)
    surface = batch.start_temp_c + rng.normal(0.0, 1.5, n)
    chamber = chamber_start_c + rng.normal(0.0, 1.0, n)
    thermal_fault_noise = rng.normal(0.0, 30.0, n)  # drawn always: faults change nothing else
    if sensor_fault == "stuck_ir":
        surface = np.full(n, 20.0)
    elif sensor_fault == "noisy_thermal":
        chamber = chamber + thermal_fault_noise
    return np.column_stack(
        [
            batch.desired_shade,
            batch.thickness_mm + rng.normal(0.0, 0.7, n),
            surface,
            chamber,
            batch.ambient_c + rng.normal(0.0, 0.5, n),
            100.0 * batch.moisture + rng.normal(0.0, 0.7, n),
            30.0 + 15.0 * batch.sugar + rng.normal(0.0, 1.0, n),
        ]
    )
