"""The unit registry: every hardware unit of lowbit, declared once.

A :class:`Unit` says which formats (and mixed format pairs) the unit takes - derived from
``FormatSpec`` fields, never from name lists - how to build its component for a
:class:`~sim.protocol.RunRequest`, which cocotb module tests it, how its vectors and golden
results are computed, its default vector count, its mutations, its cycle model (GEMM
engines) and its latency, and which runs ``make test`` and ``make regress`` make of it.
``lowbit sim``, ``lowbit units``, ``make regress``, the RTL tests and the README's unit
table all read this registry; nothing else lists units.

Adding a unit is one :func:`register` call plus its hardware and (if it is not a plain
stream unit) testbench files. A stream unit (``i_valid`` -> ``o_valid``, one input per
cycle, see :mod:`verif.stream`) needs only a ``job`` builder: its vectors travel to the
generic testbench :mod:`verif.tb_stream` as ``job.npz``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from golden.formats import FormatSpec, format_names, get_format
from sim.protocol import RunRequest

__all__ = [
    "Case",
    "Unit",
    "UsageError",
    "get_unit",
    "register",
    "resolve",
    "units",
    "units_for",
    "unregister",
]


class UsageError(ValueError):
    """A bad format / unit / parameter; its message is one line naming what is allowed."""


@dataclass(frozen=True)
class Case:
    """One registry-declared run of a unit: ``make test`` runs the ``quick`` ones,
    ``make regress`` all of them. With ``mutation`` set the run must report mismatches
    (proof that the testbench can fail); otherwise it must match golden everywhere.
    ``level="gate"`` simulates the synthesized netlist instead of the RTL."""

    format: str
    format_b: str | None = None
    vectors: int | None = None
    lanes: int | None = None
    mutation: str | None = None
    quick: bool = False
    level: str = "rtl"

    def request(self, unit: str, seed: int) -> RunRequest:
        return RunRequest(unit=unit, format=self.format, format_b=self.format_b, seed=seed,
                          vectors=self.vectors, lanes=self.lanes, mutation=self.mutation,
                          level=self.level)

    @property
    def id(self) -> str:
        parts = [self.format, self.format_b, self.lanes and f"l{self.lanes}",
                 self.vectors and f"v{self.vectors}", self.mutation and f"m-{self.mutation}",
                 self.level != "rtl" and self.level]
        return "-".join(str(p) for p in parts if p)


def _same(a: FormatSpec, b: FormatSpec) -> bool:
    return a == b


@dataclass(frozen=True)
class Unit:
    """One hardware unit (see the module docstring).

    ``takes(spec)`` - the unit takes format ``spec`` as its (first) operand format;
    ``pairs(a, b)`` - it takes the mixed pair ``a x b`` (default: ``b`` equal to ``a``);
    ``component(req)`` - the Amaranth component of a resolved request (constructing it
    elaborates nothing, so ``.latency`` is known before any Verilog exists);
    ``testbench`` - the cocotb module; ``job(req)`` - vectors + golden results of a
    stream unit (None: the testbench builds its own from the request);
    ``vectors`` - what the default vector count is, in words; ``mutations(spec)`` - the
    mutation names the component takes; ``engine`` - its cycle model in
    :func:`models.cycle_model.cycle_model` (GEMM engines); ``lanes(spec)`` - the allowed
    range of ``lanes`` and its default, or None when the unit has no lanes;
    ``array(spec)`` - the default ``(rows, cols)`` of a GEMM engine, or None;
    ``stimulus`` - its job also takes a data stimulus (:mod:`verif.stimuli`: operands drawn
    from a distribution, for switching activity and energy);
    ``cases`` - the runs ``make test`` (``quick``) and ``make regress`` (all) make.
    """

    name: str
    family: str
    summary: str
    takes: Callable[[FormatSpec], bool]
    component: Callable[[RunRequest], Any]
    vectors: str
    formats_note: str = ""
    pairs: Callable[[FormatSpec, FormatSpec], bool] = _same
    testbench: str = "verif.tb_stream"
    job: Callable[[RunRequest], Any] | None = None
    mutations: Callable[[FormatSpec], tuple[str, ...]] = lambda spec: ()
    engine: str | None = None
    lanes: Callable[[FormatSpec], tuple[int, int, int] | None] = lambda spec: None
    array: Callable[[FormatSpec], tuple[int, int] | None] = lambda spec: None
    cases: tuple[Case, ...] = field(default_factory=tuple)
    stimulus: bool = False

    def formats(self) -> list[str]:
        """The registered format names this unit takes (posits of any (n, es) it takes are
        built on demand: ``formats_note`` says which)."""
        return [n for n in format_names() if self.takes(get_format(n))]

    def toplevel(self, req: RunRequest) -> str:
        """Verilog module name of a resolved request's design (unique per design)."""
        parts = [self.name, req.tag]
        if req.lanes is not None and self.lanes(get_format(req.format)) is not None:
            parts.append(f"l{req.lanes}")
        if req.array is not None:
            parts.append("{}x{}".format(*req.array))
        if req.mutation:
            parts.append(f"m{req.mutation}")
        return re.sub(r"\W", "_", "_".join(parts))

    def latency(self, req: RunRequest) -> int | None:
        """Cycles from ``i_valid`` to ``o_valid`` (stream units); None for GEMM engines."""
        if self.engine:
            return None
        comp = self.component(req)
        comp._MustUse__silence = True  # built to read its latency, never elaborated
        return int(comp.latency)


_UNITS: dict[str, Unit] = {}


def register(unit: Unit, *, replace: bool = False) -> Unit:
    """Add ``unit`` to the registry (``replace=True`` to redefine a name, e.g. in tests);
    lowbit's own units always come first."""
    _load_builtin()
    if not re.fullmatch(r"[a-z][a-z0-9_]*", unit.name):
        raise ValueError(f"unit name must be lower-case letters, digits and _, not "
                         f"{unit.name!r}")
    if unit.name in _UNITS and not replace:
        raise ValueError(f"unit {unit.name!r} is already registered")
    _UNITS[unit.name] = unit
    return unit


def unregister(name: str) -> None:
    """Remove unit ``name`` from the registry (no error if it is not there)."""
    _UNITS.pop(name, None)


def units() -> list[Unit]:
    """Every registered unit, in registration order."""
    _load_builtin()
    return list(_UNITS.values())


def get_unit(name: str) -> Unit:
    _load_builtin()
    if name not in _UNITS:
        raise UsageError(f"unknown unit {name!r}; units: {', '.join(_UNITS)}")
    return _UNITS[name]


def units_for(fmt: str | FormatSpec) -> list[Unit]:
    """The units that take format ``fmt`` (the first is ``lowbit sim``'s default)."""
    spec = get_format(fmt)
    return [u for u in units() if u.takes(spec)]


def _spec(name: str, what: str) -> FormatSpec:
    try:
        return get_format(name)
    except ValueError as exc:
        raise UsageError(f"unknown {what} {name!r}; "
                         f"{str(exc).splitlines()[0].split('; ', 1)[-1]}") from None


def resolve(req: RunRequest) -> tuple[Unit, RunRequest]:
    """Check a request against the registry and fill in the unit's defaults.

    Returns (the unit, the request with ``unit``, ``lanes`` and ``array`` resolved, so the
    request file of a run names everything that decided it). Raises :class:`UsageError`
    with one line naming what was wrong and what is allowed.
    """
    spec = _spec(req.format, "format")
    fit = units_for(spec)
    if not req.unit:
        if not fit:
            takes = sorted({n for u in units() for n in u.formats()})
            raise UsageError(f"no unit takes format {req.format!r}; formats with a unit: "
                             f"{', '.join(takes)} (and posits, see `lowbit units`)")
        req = req.with_(unit=fit[0].name)
    unit = get_unit(req.unit)
    if not unit.takes(spec):
        why = (f"valid units for it: {', '.join(u.name for u in fit)}" if fit else
               "no unit takes it")
        raise UsageError(f"unit {unit.name!r} cannot run format {req.format!r}; {why}")
    if req.format_b is not None:
        sb = _spec(req.format_b, "format_b")
        if not unit.pairs(spec, sb):
            ok = [n for n in format_names() if unit.pairs(spec, get_format(n))]
            raise UsageError(f"unit {unit.name} cannot pair {req.format!r} with "
                             f"{req.format_b!r}; valid: {', '.join(ok) or 'none'}")
        if sb == spec:
            req = req.with_(format_b=None)
    if req.vectors is not None and req.vectors < 1:
        raise UsageError(f"vectors must be a positive integer, not {req.vectors}")
    lanes = unit.lanes(spec)
    if lanes is None:
        if req.lanes is not None:
            with_lanes = [u.name for u in units() if u.lanes(spec)] or ["block formats' units"]
            raise UsageError(f"unit {unit.name} has no lanes for {req.format}; lanes apply "
                             f"to: {', '.join(with_lanes)}")
    else:
        lo, hi, default = lanes
        if req.lanes is None:
            req = req.with_(lanes=default)
        elif not lo <= req.lanes <= hi:
            raise UsageError(f"lanes must be in {lo}..{hi} for unit {unit.name} and "
                             f"{req.format}, not {req.lanes}")
    arr = unit.array(spec)
    if arr is None:
        if req.array is not None:
            raise UsageError(f"unit {unit.name} is not an array; --array applies to: "
                             f"{', '.join(u.name for u in units() if u.array(spec))}")
    elif req.array is None:
        req = req.with_(array=arr)
    elif not all(1 <= v <= 64 for v in req.array):
        raise UsageError(f"array rows and columns must be in 1..64, not "
                         f"{req.array[0]}x{req.array[1]}")
    allowed = unit.mutations(spec)
    if req.mutation is not None and req.mutation not in allowed:
        raise UsageError(f"unit {unit.name} for {req.format} has no mutation "
                         f"{req.mutation!r}; mutations: {', '.join(allowed) or 'none'}")
    if req.stimulus is not None:
        from verif.stimuli import STIMULI

        if req.stimulus not in STIMULI:
            raise UsageError(f"unknown stimulus {req.stimulus!r}; stimuli: {', '.join(STIMULI)}")
        if not unit.stimulus:
            raise UsageError(f"unit {unit.name} takes no stimulus; units with stimuli: "
                             f"{', '.join(u.name for u in units() if u.stimulus)}")
    return unit, req


_loaded = False


def _load_builtin() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        import sim.builtin_units  # noqa: F401  (registers lowbit's own units)
