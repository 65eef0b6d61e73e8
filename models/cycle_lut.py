"""Cycle model of the LUT tensor core (``hw/lut/core.py``) and its MAC baseline
(``hw/lut/baseline.py``): engines ``"lut"`` and ``"lut_mac"`` of
:func:`models.cycle_model.cycle_model`.

Both engines share the schedule of :mod:`hw.lut.engine` (output-stationary, m-tiles outer,
n-tiles inner; one issue step per cycle). With ``T = ceil(M/R) * ceil(N/C)`` tiles,
``KG = ceil(K/g)`` k-groups and ``P`` issue steps per group (the weight bit-planes for the
LUT core: bin1 1, int2/ternary 2, int4 4, fp4_e2m1 5; 1 for the MAC baseline)::

    steady = KG * P                       issue cycles of one tile
    period = max(steady, R)               a tile's issue cycles when another follows (its
                                          drain of R rows must end before the next tile's)
    total  = fill + T * steady + bubbles + drain
    fill = 3, bubbles = (T - 1) * (period - steady), drain = R

``total`` counts from the cycle ``start`` is sampled to the cycle ``done`` pulses with the
last output row (what the RTL tests measure). ``load`` is the number of buffer reads of
each operand (one activation word and one weight word per k-group and tile). ``lanes`` is
``g`` elements per cell step, and the peak is ``R * C * g / P`` MACs per cycle, so
``utilization = M * K * N * P / (total * R * C * g)``.
"""

from __future__ import annotations

import sympy as sp

from golden.formats import FormatSpec
from hw.lut.table import check_group
from hw.lut.weights import weight_int
from models.cycle_model import C, CycleModel, K, M, N, R, sym

__all__ = ["DATAFLOWS", "UNITS", "lut_cycle_model", "lut_mac_cycle_model", "lut_terms"]

DATAFLOWS = ("os",)
UNITS = ("lut", "lut_mac")
"""The two engines of this model, named as the unit registry and ``lowbit sim`` name them."""

g_sym, P_sym = sym("g"), sym("P")
FILL = 3


def lut_terms() -> dict[str, sp.Expr]:
    """The model's expressions in ``M, K, N, R, C, g, P`` (written once; see the docstring)."""
    tiles = sp.ceiling(M / R) * sp.ceiling(N / C)
    kg = sp.ceiling(K / g_sym)
    steady = kg * P_sym
    period = sp.Max(steady, R)
    bubbles = (tiles - 1) * (period - steady)
    total = FILL + tiles * steady + bubbles + R
    return {
        "total": total,
        "fill": sp.Integer(FILL),
        "steady": tiles * steady,
        "bubbles": bubbles,
        "drain": R,
        "tiles": tiles,
        "load": tiles * kg,
        "macs": M * K * N,
        "utilization": M * K * N * P_sym / (total * R * C * g_sym),
    }


def lut_cycle_model(fmt: FormatSpec | str, dataflow: str = "os", unit: str = "lut",
                    g: int = 4) -> CycleModel:
    """The cycle model of the LUT core (``unit="lut"``) or its MAC baseline (``"lut_mac"``).

    ``fmt`` is the weight format (activations int8); ``P`` is substituted from it (the
    LUT core's bit-planes) or set to 1 for the baseline, and ``g`` from the argument, so
    the model's free symbols are ``M, K, N, R, C``. Only the output-stationary dataflow
    ``"os"`` exists. ``utilization`` is a ratio (float); evaluate it with sympy or
    ``lambdify`` rather than :meth:`CycleModel.evaluate`, which rounds to integers.
    """
    if dataflow not in DATAFLOWS:
        raise ValueError(f"LUT engine dataflow must be one of {', '.join(DATAFLOWS)}, "
                         f"not {dataflow!r}")
    if unit not in UNITS:
        raise ValueError(f"LUT engine unit must be one of {', '.join(UNITS)}, not {unit!r}")
    wi = weight_int(fmt)
    planes = wi.planes if unit == "lut" else 1
    vals = {g_sym: check_group(g), P_sym: planes}
    terms = {k: v.subs(vals) for k, v in lut_terms().items()}
    return CycleModel(unit, terms,
                      f"{unit} engine, weights {wi.spec.name} x int8, g={g}, P={planes}: "
                      "cycles from start to done")


def lut_mac_cycle_model(fmt: FormatSpec | str, dataflow: str = "os", g: int = 4) -> CycleModel:
    """The cycle model of the LUT core's MAC baseline (engine ``"lut_mac"``)."""
    return lut_cycle_model(fmt, dataflow, unit="lut_mac", g=g)
