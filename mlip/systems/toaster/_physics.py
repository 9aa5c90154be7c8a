"""The toaster's physical world: bread, heating element, chamber, browning, smoke and fire.

Everything is simulated in one-second steps and vectorised over many toasters at once. The model
is simple on purpose, but every effect a student should reason about is in it.

Heating element and chamber
    An element delivers ``health`` times its nominal power; ``health`` is 1.0 for a new element
    and drops as it ages (about 0.8 for an old one). While the element is on, the chamber
    temperature ``T_c`` moves towards ``ambient + CHAMBER_RISE_C * health``::

        dT_c/dt = (heating * CHAMBER_RISE_C * health - (T_c - ambient)) / CHAMBER_TAU_S
                  + FIRE_HEATING_C_PER_S * burning

    so a new element settles around 260 °C above ambient, an old one lower. After a cycle the
    chamber cools back to ambient with time constant ``COOLING_TAU_S``: the next slice of a
    breakfast run starts in a warm toaster (residual heat).

Bread surface
    The bread surface takes up heat ``dH/dt = (T_c - T_s) / tau_bread`` with
    ``tau_bread = BREAD_TAU_S * sqrt(thickness / 15 mm)`` (thick slices warm slowly). Its
    temperature ``T_s`` follows the heat content ``H`` with two plateaus: frozen bread first
    thaws at 0 °C (plateau width ``ICE_HEAT * moisture``), then water boils off at 100 °C
    (plateau width ``WATER_HEAT * moisture``). Only a dry surface browns.

Browning (Maillard-like, Arrhenius-shaped)
    Once dry, the surface browns at ``BROWNING_RATE * sugar * exp((T_s - 150) / 25)`` shades per
    second: every 25 °C hotter browns e-times faster, and sugary bread (brioche, waffles) browns
    faster. Doneness is measured in shades: 1 (barely) to 7 (dark); ``BURNT_SHADE`` and beyond is
    burnt.

Smoke and fire
    Over-browned bread (beyond ``SMOKE_SHADE``) smokes; smoke concentration (ppm) rises with the
    excess browning and decays with time constant ``SMOKE_DECAY_S``. Charred bread
    (``CHAR_SHADE``) whose surface stays above ``IGNITION_C`` for ``IGNITION_SECONDS`` catches
    fire; a fire heats the chamber further. A thermal fuse cuts the element's power when the
    chamber reaches ``FUSE_C``: it is a last resort that usually trips only after a fire started.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "BREADS",
    "BURNT_SHADE",
    "FUSE_C",
    "HORIZON_SECONDS",
    "Bread",
    "HeatingState",
    "SessionBatch",
    "time_to_shade",
]

CHAMBER_RISE_C = 260.0
CHAMBER_TAU_S = 50.0
COOLING_TAU_S = 90.0
BREAD_TAU_S = 20.0
ICE_HEAT = 700.0
WATER_HEAT = 160.0
BROWNING_RATE = 0.006
BROWNING_E_FOLD_C = 40.0
SMOKE_SHADE = 7.5
BURNT_SHADE = 8.0
CHAR_SHADE = 9.0
IGNITION_C = 215.0
IGNITION_SECONDS = 5
SMOKE_PPM_PER_SHADE = 40.0
SMOKE_DECAY_S = 20.0
FIRE_HEATING_C_PER_S = 6.0
FIRE_SMOKE_PPM_PER_S = 200.0
FUSE_C = 330.0
NOMINAL_POWER_W = 900.0
#: The simulation stops a session here at the latest; with a working fuse it is never reached.
HORIZON_SECONDS = 1800


@dataclass(frozen=True)
class Bread:
    """Physical properties of one kind of bread."""

    name: str
    moisture: float  # water fraction of the surface layer
    thickness_mm: float  # typical slice thickness
    sugar: float  # browning speed relative to white bread


BREADS: tuple[Bread, ...] = (
    Bread("white", 0.36, 14.0, 1.0),
    Bread("whole_wheat", 0.40, 15.0, 0.9),
    Bread("sourdough", 0.42, 18.0, 0.8),
    Bread("brioche", 0.32, 18.0, 1.7),
    Bread("bagel", 0.38, 26.0, 1.2),
    Bread("waffle", 0.30, 20.0, 1.5),
)


@dataclass
class SessionBatch:
    """The hidden physical truth of a batch of toasting sessions (one entry per session)."""

    bread: np.ndarray  # index into BREADS
    moisture: np.ndarray
    thickness_mm: np.ndarray
    sugar: np.ndarray
    start_temp_c: np.ndarray  # bread temperature when it goes in (-18 frozen, 4 fridge, 21 room)
    ambient_c: np.ndarray
    health: np.ndarray  # element power relative to new
    desired_shade: np.ndarray  # 1..7, what the user asked for

    def __len__(self) -> int:
        return len(self.bread)

    @property
    def frozen(self) -> np.ndarray:
        return self.start_temp_c < 0.0


def _bread_tau(batch: SessionBatch) -> np.ndarray:
    return BREAD_TAU_S * np.sqrt(batch.thickness_mm / 15.0)


def _surface_temp(heat: np.ndarray, ice_width: np.ndarray, water_width: np.ndarray) -> np.ndarray:
    """Surface temperature from heat content, with thawing and boiling plateaus."""
    return np.where(
        heat < 0.0,
        heat,
        np.where(
            heat < ice_width,
            0.0,
            np.clip(heat - ice_width, None, 100.0)
            + np.clip(heat - ice_width - 100.0 - water_width, 0.0, None),
        ),
    )


class HeatingState:
    """Live physical state of a batch of sessions while they toast.

    ``step(heating)`` advances one second; ``heating`` is the fraction of that second the element
    is on (0..1) per session. Sessions that have finished are simply stepped with ``heating=0``
    and ignored by the caller.
    """

    def __init__(self, batch: SessionBatch, chamber_start_c: np.ndarray) -> None:
        self.batch = batch
        self.tau = _bread_tau(batch)
        self.ice_width = np.where(batch.frozen, ICE_HEAT * batch.moisture, 0.0)
        self.water_width = WATER_HEAT * batch.moisture
        self.dry_heat = self.ice_width + 100.0 + self.water_width
        self.heat = np.where(batch.frozen, batch.start_temp_c, batch.start_temp_c + self.ice_width)
        self.chamber_c = chamber_start_c.astype(float).copy()
        self.surface_c = _surface_temp(self.heat, self.ice_width, self.water_width)
        self.shade = np.zeros(len(batch))
        self.smoke_ppm = np.zeros(len(batch))
        self.hot_char_seconds = np.zeros(len(batch))
        self.burning = np.zeros(len(batch), dtype=bool)

    def step(self, heating: np.ndarray) -> None:
        b = self.batch
        self.chamber_c = self.chamber_c + (
            (heating * CHAMBER_RISE_C * b.health - (self.chamber_c - b.ambient_c)) / CHAMBER_TAU_S
            + FIRE_HEATING_C_PER_S * self.burning
        )
        self.heat = self.heat + (self.chamber_c - self.surface_c) / self.tau
        self.surface_c = _surface_temp(self.heat, self.ice_width, self.water_width)
        dry = self.heat > self.dry_heat
        rate = (
            BROWNING_RATE
            * b.sugar
            * np.exp((np.minimum(self.surface_c, 400.0) - 150.0) / BROWNING_E_FOLD_C)
        )
        self.shade = self.shade + np.where(dry, rate, 0.0)
        excess = np.clip(self.shade - SMOKE_SHADE, 0.0, None)
        self.smoke_ppm = (
            self.smoke_ppm * (1.0 - 1.0 / SMOKE_DECAY_S)
            + SMOKE_PPM_PER_SHADE * excess
            + FIRE_SMOKE_PPM_PER_S * self.burning
        )
        hot_char = (self.shade >= CHAR_SHADE) & (self.surface_c >= IGNITION_C)
        self.hot_char_seconds = np.where(hot_char, self.hot_char_seconds + 1.0, 0.0)
        self.burning = self.burning | (self.hot_char_seconds >= IGNITION_SECONDS)


def time_to_shade(batch: SessionBatch, chamber_start_c: np.ndarray) -> np.ndarray:
    """Seconds of continuous heating after which each session reaches its desired shade.

    This is the ground truth the model learns: the ideal heating time for that bread, in that
    toaster, at that moment. Linear interpolation inside the crossing second keeps it continuous.
    """
    state = HeatingState(batch, chamber_start_c)
    target = batch.desired_shade.astype(float)
    seconds = np.full(len(batch), float(HORIZON_SECONDS))
    pending = np.ones(len(batch), dtype=bool)
    on = np.ones(len(batch))
    for second in range(HORIZON_SECONDS):
        before = state.shade
        state.step(on)
        crossed = pending & (state.shade >= target)
        if crossed.any():
            gained = np.maximum(state.shade - before, 1e-12)
            fraction = np.clip((target - before) / gained, 0.0, 1.0)
            seconds = np.where(crossed, second + fraction, seconds)
            pending &= ~crossed
            if not pending.any():
                break
    return seconds
