"""Cycle model of the output-stationary PE array engine (``hw/array/engine.py``): ``"array"``.

Symbols: ``M, K, N`` (GEMM C = A x B, runtime), ``R, C`` (array rows x columns), ``L`` (PE
pipeline latency, cycles from a step reaching a PE to its accumulator) and ``lanes``
(elements of K per PE step: 1 for element formats, the block size for MX / NVFP4).

Counted from the cycle ``start`` is sampled (cycle 0) to the first cycle ``done`` is high,
following the controller's schedule (see :mod:`hw.array.engine`):

- ``k_steps`` ``S = ceil(K / lanes)``; ``tiles`` ``T = ceil(M / R) * ceil(N / C)``;
- ``ii`` = ``max(S, 2R + C - 2)``: cycles between tile issues (a tile's drain must finish
  before the next tile's first capture, which bounds ``ii`` below for small K);
- ``start`` = 1 (start sampled), ``steady`` = ``T * S`` (step-issue cycles),
  ``stall`` = ``(T - 1) * (ii - S)`` (waiting for drains between tiles),
  ``fill`` = ``R + C - 1`` (one buffer-read cycle plus skew/propagation to PE (R-1, C-1)),
  ``pipeline`` = ``L``, ``drain`` = ``R`` (the last tile's capture and R-1 row shifts,
  one C-buffer write per cycle);
- ``total`` = start + steady + stall + fill + pipeline + drain
  ``= (T - 1) * ii + S + 2R + C + L``.

Around a run: ``load`` = ``max(ceil(M/R), ceil(N/C)) * S`` (A and B words written through
their two ports in parallel, one word per port per cycle), ``unload`` = ``T * R`` (C words
read one per cycle), ``end_to_end`` = load + total + unload. ``peak`` = ``R * C * lanes``
MACs per cycle.
"""

from __future__ import annotations

import functools

import sympy as sp

from golden.formats import FormatSpec, get_format
from models.cycle_model import C, CycleModel, K, M, N, R, sym

__all__ = ["DATAFLOWS", "array_cycle_model", "array_terms", "pe_latency"]

DATAFLOWS = ("os",)
"""Dataflows with an RTL implementation (output-stationary)."""

L, LANES = sym("L"), sym("lanes")


def array_terms() -> dict[str, sp.Expr]:
    """The general expressions (symbols M, K, N, R, C, L, lanes), see the module docstring."""
    S = sp.ceiling(K / LANES)
    mt, nt = sp.ceiling(M / R), sp.ceiling(N / C)
    T = mt * nt
    ii = sp.Max(S, 2 * R + C - 2)
    t = {
        "k_steps": S, "tiles": T, "ii": ii,
        "start": sp.Integer(1), "steady": T * S, "stall": (T - 1) * (ii - S),
        "fill": R + C - 1, "pipeline": L, "drain": R,
    }
    t["total"] = (T - 1) * ii + S + 2 * R + C + L
    t["load"] = sp.Max(mt, nt) * S
    t["unload"] = T * R
    t["end_to_end"] = t["load"] + t["total"] + t["unload"]
    t["peak"] = R * C * LANES
    return t


def pe_latency(fmt: FormatSpec | str, fmt_b: FormatSpec | str | None = None,
               lanes: int | None = None) -> tuple[int, int]:
    """``(L, lanes)`` of the PE for a format pair (:class:`hw.array.pe.ProcessingElement`)."""
    return _pe_latency(get_format(fmt), None if fmt_b is None else get_format(fmt_b), lanes)


@functools.lru_cache(maxsize=64)
def _pe_latency(fmt: FormatSpec, fmt_b: FormatSpec | None, lanes: int | None) -> tuple[int, int]:
    from amaranth.hdl import Fragment

    from hw.array.pe import ProcessingElement

    pe = ProcessingElement(fmt_a=fmt, fmt_b=fmt_b, lanes=lanes)
    Fragment.get(pe, None)  # elaborated once (marks the unit used; checks it builds)
    return pe.latency, pe.lanes


def array_cycle_model(fmt: FormatSpec | str, fmt_b: FormatSpec | str | None = None, *,
                      dataflow: str = "os", lanes: int | None = None,
                      rows: int | None = None, cols: int | None = None) -> CycleModel:
    """The array engine's :class:`CycleModel` for a format pair.

    ``L`` and ``lanes`` are substituted from the PE of that format (``lanes`` defaults to
    the block size for block formats, 1 for element formats); ``rows``/``cols`` substitute
    ``R``/``C`` when given (else they stay symbols, e.g. for :meth:`CycleModel.best_shape`).
    """
    if dataflow not in DATAFLOWS:
        raise ValueError(f"array dataflow must be one of {', '.join(DATAFLOWS)} (the RTL array "
                         f"is output-stationary), not {dataflow!r}")
    spec = get_format(fmt)
    lat, ln = pe_latency(spec, fmt_b, lanes)
    values: dict[str, int] = {"L": lat, "lanes": ln}
    if rows is not None:
        values["R"] = rows
    if cols is not None:
        values["C"] = cols
    base = CycleModel("array", array_terms(),
                      "output-stationary R x C PE array, cycles from start to done")
    model = base.subs(**values)
    return CycleModel("array", model.terms,
                      f"output-stationary R x C PE array of {spec.name} PEs (L={lat}, "
                      f"lanes={ln}), cycles from start to done")
