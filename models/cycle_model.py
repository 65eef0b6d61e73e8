"""Analytic cycle models: closed-form sympy expressions shared by every lowbit engine.

A :class:`CycleModel` holds an engine's cycle count as named sympy expressions of the
GEMM shape ``M, K, N`` (runtime: C = A x B with A (M, K), B (K, N)), the array shape
``R, C`` (hardware: rows x columns of processing elements) and any further engine
symbols (pipeline latency ``L``, elements per PE step ``lanes``, weight bit-planes, ...).
Each engine writes its expressions ONCE; the same expressions serve three uses:

- print the closed form (``print(model)``, ``model.expr``, ``model.terms["fill"]``);
- substitute and simplify symbolically (``model.subs(R=4, C=4)`` returns a new model);
- evaluate fast on NumPy arrays (``model.evaluate(M=ms, K=ks, N=ns, R=4, C=4)``), through
  ``sympy.lambdify`` (compiled once per term and cached), broadcasting like NumPy;
- optimise: :meth:`CycleModel.best_shape` (the ``R x C`` that minimises cycles for a layer
  under a PE budget, by exact enumeration) and :meth:`CycleModel.solve_for` (sympy's
  ``solve`` on the model with ceilings relaxed, for closed-form what-if questions).

Conventions, shared by every engine so that models compare:

- ``terms`` maps a name to an expression; ``"total"`` is the cycle count of a whole GEMM
  (the one the RTL tests measure); other names are its parts (``"load"``, ``"fill"``,
  ``"steady"``, ``"drain"``, ``"compute"``, ``"unload"``, ...), documented per engine.
- Every symbol is a positive integer. Hardware constants of one build (e.g. the PE
  latency) are symbols too, so that a model can be printed generally and substituted.
- ``"peak"`` is the engine's multiply-accumulates per cycle at full rate (``R * C * lanes``
  for the PE array); :meth:`CycleModel.utilization` is ``M * K * N / (total * peak)``
  (``"macs"`` overrides ``M * K * N`` when an engine counts useful work differently).

Engines register a builder with :func:`register_engine`; :func:`cycle_model` builds the
model of an engine for a format and dataflow. ``models/cycle_array.py`` (the systolic PE
array, engine ``"array"``) and ``models/cycle_lut.py`` (the LUT tensor core, engine
``"lut"``) plug in this way.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

__all__ = [
    "C",
    "CycleModel",
    "K",
    "M",
    "N",
    "R",
    "cycle_model",
    "engines",
    "register_engine",
    "sym",
]

M, K, N = sp.symbols("M K N", integer=True, positive=True)
R, C = sp.symbols("R C", integer=True, positive=True)


def sym(name: str) -> sp.Symbol:
    """The positive-integer sympy symbol ``name`` (equal to every other ``sym(name)``)."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"symbol name must be a Python identifier, not {name!r}")
    return sp.Symbol(name, integer=True, positive=True)


def _relax(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every ``ceiling(x)`` / ``floor(x)`` replaced by ``x`` (continuous form)."""
    return expr.replace(lambda e: isinstance(e, sp.ceiling | sp.floor), lambda e: e.args[0])


@dataclass(frozen=True)
class CycleModel:
    """Cycle counts of one engine as named sympy expressions (see the module docstring).

    Attributes
    ----------
    engine : str
        Engine name (``"array"``, ``"lut"``, ...).
    terms : Mapping[str, sympy.Expr]
        Named expressions; ``terms["total"]`` is the whole-GEMM cycle count.
    description : str
        One paragraph: what is counted, from which event to which.
    """

    engine: str
    terms: Mapping[str, sp.Expr]
    description: str = ""
    _fns: dict[str, tuple[tuple[str, ...], Callable[..., Any] | None, sp.Expr]] = field(
        default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if "total" not in self.terms:
            raise ValueError(f"cycle model {self.engine!r} needs a 'total' term; "
                             f"it has {sorted(self.terms)}")
        object.__setattr__(self, "terms", {k: sp.sympify(v) for k, v in self.terms.items()})

    # ----- symbolic -------------------------------------------------------------------------
    @property
    def expr(self) -> sp.Expr:
        """The whole-GEMM cycle count (``terms["total"]``)."""
        return self.terms["total"]

    @property
    def symbols(self) -> list[sp.Symbol]:
        """Free symbols of the total, sorted by name."""
        return sorted(self.expr.free_symbols, key=lambda s: s.name)

    def term(self, name: str) -> sp.Expr:
        if name not in self.terms:
            raise ValueError(f"cycle model {self.engine!r} has no term {name!r}; "
                             f"terms: {', '.join(self.terms)}")
        return self.terms[name]

    def subs(self, **values: int | sp.Expr) -> CycleModel:
        """A new model with symbols (by name) replaced by numbers or expressions."""
        mapping = {sym(k): v for k, v in values.items()}
        return CycleModel(self.engine, {k: sp.simplify(e.subs(mapping))
                                        for k, e in self.terms.items()}, self.description)

    def solve_for(self, symbol: str, cycles: int | sp.Expr, term: str = "total") -> list:
        """Solutions of ``term == cycles`` for ``symbol``, ceilings relaxed to real division.

        Ceilings (tile counts) are replaced by their arguments first and ``Max`` becomes a
        ``Piecewise``, so the answer is the continuous approximation (e.g. the K at which
        a layer takes a given number of cycles); check a candidate with :meth:`evaluate`.
        Returns sympy's solution list.
        """
        relaxed = _relax(self.term(term)).rewrite(sp.Piecewise)
        return sp.solve(sp.Eq(relaxed, cycles), sym(symbol))

    def __str__(self) -> str:
        lines = [f"{self.engine} cycle model" + (f": {self.description}" if self.description
                                                  else "")]
        lines += [f"  {k} = {v}" for k, v in self.terms.items()]
        return "\n".join(lines)

    # ----- numeric --------------------------------------------------------------------------
    def _eval(self, term: str, values: Mapping[str, Any]) -> np.ndarray:
        hit = self._fns.get(term)
        if hit is None:  # free symbols and the lambdified term, once per term
            expr = self.term(term)
            names = tuple(sorted(s.name for s in expr.free_symbols))
            fn = sp.lambdify([sym(n) for n in names], expr, modules="numpy") if names else None
            hit = self._fns[term] = (names, fn, expr)
        names, fn, expr = hit
        missing = [n for n in names if n not in values]
        if missing:
            raise ValueError(f"cycle model {self.engine!r} term {term!r} needs values for "
                             f"{', '.join(missing)}")
        args = []
        for n in names:
            v = np.asarray(values[n])
            if v.dtype.kind not in "iu" or (v.size and v.min() < 1):
                raise ValueError(f"{n} must be positive integers, not {values[n]!r}")
            args.append(v.astype(np.float64))
        if fn is None:
            return np.asarray(float(expr))
        out = np.asarray(fn(*args), dtype=np.float64)
        shape = np.broadcast_shapes(*(a.shape for a in args))
        return out if out.shape == shape else np.broadcast_to(out, shape)

    def evaluate(self, term: str = "total", **values: Any) -> np.ndarray:
        """``term`` evaluated on NumPy arrays (broadcast), as int64 cycle counts.

        Every free symbol of the term must be given by name (extra names are ignored, so
        one dict can serve every term); a missing one raises ``ValueError`` naming it.
        Values must be positive integers. The term is lambdified once and cached.
        """
        return np.rint(self._eval(term, values)).astype(np.int64)

    def utilization(self, **values: Any) -> np.ndarray:
        """``M * K * N / (total * peak)``: the fraction of the engine's peak MAC rate used.

        ``peak`` is the model's ``"peak"`` term (multiply-accumulates per cycle at full
        rate, e.g. ``R * C * lanes``); float64, broadcast like :meth:`evaluate`.
        """
        macs = self._eval("macs", values) if "macs" in self.terms else None
        if macs is None:
            macs = np.asarray(values["M"]) * np.asarray(values["K"]) * np.asarray(values["N"])
        return macs / (self._eval("total", values) * self._eval("peak", values))

    def best_shape(self, M: int, K: int, N: int, area_budget: int, *, min_side: int = 1,
                   **values: Any) -> tuple[int, int, int]:
        """``(R, C, cycles)`` minimising the total for one GEMM with ``R * C <= area_budget``.

        Exact: every shape with ``min_side <= R, C`` and ``R * C <= area_budget`` is
        evaluated (vectorised); ties go to the squarer shape, then to the smaller ``R``.
        ``values`` gives the model's other symbols (e.g. ``L``, ``lanes``).
        """
        if not isinstance(area_budget, int) or area_budget < min_side * min_side:
            raise ValueError(f"area_budget must be an integer >= {min_side * min_side} PEs, "
                             f"not {area_budget!r}")
        r, c = np.meshgrid(np.arange(min_side, area_budget + 1),
                           np.arange(min_side, area_budget + 1), indexing="ij")
        ok = r * c <= area_budget
        r, c = r[ok], c[ok]
        cyc = self.evaluate("total", M=np.int64(M), K=np.int64(K), N=np.int64(N), R=r, C=c,
                            **values)
        order = np.lexsort((r, np.abs(r - c), cyc))
        i = order[0]
        return int(r[i]), int(c[i]), int(cyc[i])


_BUILDERS: dict[str, str | Callable[..., CycleModel]] = {
    "array": "models.cycle_array:array_cycle_model",
    "lut": "models.cycle_lut:lut_cycle_model",
    "lut_mac": "models.cycle_lut:lut_mac_cycle_model",
}


def register_engine(name: str, builder: Callable[..., CycleModel]) -> None:
    """Register ``builder(fmt, dataflow=..., **hw) -> CycleModel`` as engine ``name``."""
    if not callable(builder):
        raise TypeError(f"cycle model builder for {name!r} must be callable, "
                        f"not {type(builder).__name__}")
    _BUILDERS[name] = builder


def engines() -> list[str]:
    """Names of the engines with a cycle model."""
    return list(_BUILDERS)


def cycle_model(engine: str, fmt: Any, **kwargs: Any) -> CycleModel:
    """The :class:`CycleModel` of ``engine`` for format ``fmt`` (name or FormatSpec).

    ``kwargs`` go to the engine's builder (e.g. ``dataflow="os"``, ``lanes=4``).
    """
    b = _BUILDERS.get(engine)
    if b is None:
        raise ValueError(f"unknown engine {engine!r}; engines: {', '.join(_BUILDERS)}")
    if isinstance(b, str):
        mod, fn = b.split(":")
        b = getattr(importlib.import_module(mod), fn)
        _BUILDERS[engine] = b
    return b(fmt, **kwargs)

