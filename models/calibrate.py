"""Calibration of the technology file against Horowitz (ISSCC 2014, 45 nm, 0.9 V).

Horowitz's table gives the energy of eight arithmetic operations. lowbit builds each from
its own registry units (``add`` / ``mul`` in int8, int32, fp16, fp32: one operation per
cycle into a registered result), measures their toggles at gate level under the
:data:`STIMULUS` stimulus, and prices them with a technology file.

The default file has one free constant, ``toggle_fj`` (the energy of one NAND2-weighted
output toggle). It is fitted on the two :data:`FIT` operations, one integer and one
floating-point multiplier (the part that dominates a MAC), by least squares of the log
ratio measured / reference, so each of the two is off by the same factor in opposite
directions. The clock energy per flip-flop and the leakage per transistor are physical
assumptions written in the file, not fitted. Every other operation is a prediction,
compared with its reference by ``lowbit calibrate``; bf16 has no reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from models.energy import Technology, load_technology

__all__ = ["FIT", "HOROWITZ_45NM", "STIMULUS", "CalibrationRow", "Reference", "fit",
           "validation"]


@dataclass(frozen=True)
class Reference:
    """One operation of the reference table and the lowbit unit that performs it."""

    name: str
    unit: str
    format: str
    energy_pj: float | None
    """Horowitz's figure (None: lowbit predicts it, with no reference to compare)."""


HOROWITZ_45NM: tuple[Reference, ...] = (
    Reference("int8 add", "add", "int8", 0.03),
    Reference("int8 mult", "mul", "int8", 0.2),
    Reference("int32 add", "add", "int32", 0.1),
    Reference("int32 mult", "mul", "int32", 3.1),
    Reference("fp16 add", "add", "fp16", 0.4),
    Reference("fp16 mult", "mul", "fp16", 1.1),
    Reference("fp32 add", "add", "fp32", 0.9),
    Reference("fp32 mult", "mul", "fp32", 3.7),
    Reference("bf16 add", "add", "bf16", None),
    Reference("bf16 mult", "mul", "bf16", None),
)
"""Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm at 0.9 V (pJ per operation)."""

FIT = ("int8 mult", "fp32 mult")
"""The operations the default technology file's free constant is fitted on."""

STIMULUS = "uniform"
"""Operands of the calibration runs: uniform over each format's range (random data, as an
arithmetic unit's energy is characterised)."""


@dataclass(frozen=True)
class CalibrationRow:
    """One operation: lowbit's energy, the reference, their ratio, fit or validation."""

    name: str
    unit: str
    format: str
    measured_pj: float
    reference_pj: float | None
    role: str
    transistors: int
    datapath_pj: float
    registers_pj: float
    clock_pj: float
    leakage_pj: float

    @property
    def ratio(self) -> float | None:
        return None if self.reference_pj is None else self.measured_pj / self.reference_pj

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {**asdict(self), "ratio": self.ratio}


def _ref(name: str) -> Reference:
    return next(r for r in HOROWITZ_45NM if r.name == name)


def _parts(ref: Reference, tech: Technology) -> tuple[float, float]:
    """(pJ per unit of toggle_fj, pJ that do not depend on it: clock and leakage) of one
    operation."""
    from models.cost import unit_cost

    c = unit_cost(ref.unit, ref.format, stimulus=STIMULUS, tech=replace(tech, toggle_fj=1.0))
    return c.datapath_pj + c.registers_pj, c.clock_pj + c.leakage_pj


def fit(tech: str | Path | Technology | None = None) -> Technology:
    """``tech`` (default: the built-in file) with ``toggle_fj`` fitted on the :data:`FIT`
    operations: the value minimising the sum of squared log ratios measured / reference,
    found by bisection of its derivative (the sum is convex in log toggle_fj)."""
    t = tech if isinstance(tech, Technology) else load_technology(tech)
    pts = [(*_parts(_ref(n), t), _ref(n).energy_pj) for n in FIT]

    def slope(a: float) -> float:  # d/d(log a) of sum(log(pred / ref)^2) / 2
        return sum(math.log((a * w + f) / e) * a * w / (a * w + f) for w, f, e in pts)

    lo, hi = 1e-6, 1e6
    if any(f >= e for _, f, e in pts):
        raise ValueError(f"clock and leakage alone exceed the reference of {', '.join(FIT)}: "
                         "lower them in the technology file")
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if slope(mid) < 0 else (lo, mid)
    return replace(t, toggle_fj=math.sqrt(lo * hi))


def validation(tech: str | Path | Technology | None = None) -> list[CalibrationRow]:
    """Every reference operation measured with ``tech`` (default: the built-in file)."""
    from models.cost import unit_cost

    t = tech if isinstance(tech, Technology) else load_technology(tech)
    rows = []
    for ref in HOROWITZ_45NM:
        c = unit_cost(ref.unit, ref.format, stimulus=STIMULUS, tech=t)
        role = "fit" if ref.name in FIT else ("validate" if ref.energy_pj else "predict")
        rows.append(CalibrationRow(ref.name, ref.unit, ref.format, c.energy_pj, ref.energy_pj,
                                   role, c.transistors, c.datapath_pj, c.registers_pj,
                                   c.clock_pj, c.leakage_pj))
    return rows
