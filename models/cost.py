"""The cost of one unit in one format: area from its netlist, energy from its own toggles.

:func:`unit_cost` synthesizes a registry unit (:mod:`models.synth`), simulates the netlist
under Verilator with a data stimulus (:mod:`verif.stimuli`) through the unit's own
testbench, which scores every output against golden (a mismatch is an error: synthesis
must keep the function), counts the toggles of every cell (:mod:`models.activity`) and
prices them with a technology file (:mod:`models.energy`).

Measurements are cached under ``<cache>/cost/`` by a hash of everything that decides them:
the request, the tool versions and the source of lowbit's own packages, so a second call is
served in milliseconds and any change to the hardware, the testbench or the models measures
again. The technology is applied after the cache, so another technology file costs nothing.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from models.activity import Activity
from models.energy import EnergyBreakdown, Technology, energy_per_op, load_technology

__all__ = ["CostError", "UnitCost", "unit_cost"]

_RECIPE = 1  # bump when the way a cost is derived changes outside the hashed sources
_PACKAGES = ("golden", "hw", "sim", "verif")
_MEASURING_MODELS = ("synth.py", "activity.py", "cost.py")


class CostError(RuntimeError):
    """The gate-level run behind a cost failed (a mismatch against golden, or no toggles)."""


@dataclass(frozen=True)
class UnitCost:
    """Area, depth and energy per operation of one unit in one format.

    An operation is one multiply-accumulate (a dot unit's block of ``lanes`` elements is
    ``lanes`` operations; an adder's or multiplier's is one add or multiply). Energies are
    per operation, in pJ, by part (``datapath_pj`` combinational cells, ``registers_pj``
    flip-flop data toggles, ``clock_pj``, ``leakage_pj``; ``energy_pj`` their sum).
    """

    unit: str
    format: str
    format_b: str | None
    lanes: int | None
    stimulus: str
    transistors: int
    nand2_eq: float
    area_um2: float
    flip_flop_bits: int
    cells: int
    depth_gates: int
    ops: int
    cycles: int
    datapath_pj: float
    registers_pj: float
    clock_pj: float
    leakage_pj: float
    energy_pj: float
    toggles_by_cell: dict[str, int]
    technology: str
    source: str
    tools: dict[str, str] = field(default_factory=dict)
    cached: bool = False

    @property
    def breakdown(self) -> EnergyBreakdown:
        return EnergyBreakdown(self.datapath_pj, self.registers_pj, self.clock_pj,
                               self.leakage_pj)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _source_digest() -> str:
    """SHA-256 over the sources a measurement depends on: every .py, .vlt and .h file of
    golden/, hw/, sim/ and verif/, and the models that synthesize and count toggles (not
    the technology files or the models that only price, tabulate or fit)."""
    root = Path(__file__).resolve().parent.parent
    files = [p for pkg in _PACKAGES for p in (root / pkg).rglob("*")
             if p.suffix in (".py", ".vlt", ".h") and p.is_file()]
    files += [root / "models" / f for f in _MEASURING_MODELS]
    h = hashlib.sha256()
    for p in sorted(files):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


@functools.cache
def _tools() -> dict[str, str]:
    from sim.toolchain import tool_versions

    return {**tool_versions(), "pyosys": importlib.metadata.version("pyosys")}


def unit_cost(unit: str, fmt: str, fmt_b: str | None = None, stimulus: str = "gaussian", *,
              tech: str | Path | Technology | None = None, vectors: int | None = None,
              lanes: int | None = None, array: tuple[int, int] | None = None, seed: int = 1,
              root: Path | None = None) -> UnitCost:
    """Area and energy per operation of registry ``unit`` in ``fmt`` (x ``fmt_b``).

    ``stimulus``: one of :data:`verif.stimuli.STIMULI`; ``tech``: a technology file path,
    a loaded :class:`~models.energy.Technology` or None for the default; ``vectors``: inputs
    (blocks for a dot unit) of the energy run, None for the unit's default; ``lanes``: a
    block unit's lanes (None: the block size); ``array``: a GEMM engine's ``(rows, cols)``
    (None: its default). Raises :class:`sim.units.UsageError` (one
    line) for a unit, format or stimulus the registry rejects,
    :class:`~models.energy.TechnologyError` for a bad technology file and
    :class:`CostError` if the netlist does not match golden.

    The measurement (synthesis, gate-level run, toggles) does not depend on the technology
    and is cached on its own, so pricing the same unit with another technology file is
    immediate.
    """
    from sim.protocol import RunRequest
    from sim.units import resolve

    t = tech if isinstance(tech, Technology) else load_technology(tech)
    unit_, req = resolve(RunRequest(unit=unit, format=fmt, format_b=fmt_b, seed=seed,
                                    vectors=vectors, lanes=lanes, array=array,
                                    level="gate", stimulus=stimulus))
    m, cached = _measure(req, root)
    act = Activity(**m["activity"])
    e = energy_per_op(act, m["flip_flop_bits"], m["transistors"], m["ops"], t)
    return UnitCost(
        unit=unit_.name, format=req.format, format_b=req.format_b, lanes=req.lanes,
        stimulus=stimulus, transistors=m["transistors"], nand2_eq=m["transistors"] / 4,
        area_um2=round(t.area_um2(m["transistors"]), 3), flip_flop_bits=m["flip_flop_bits"],
        cells=m["cells"], depth_gates=m["depth_gates"], ops=m["ops"], cycles=act.cycles,
        datapath_pj=e.datapath_pj, registers_pj=e.registers_pj, clock_pj=e.clock_pj,
        leakage_pj=e.leakage_pj, energy_pj=e.total_pj, toggles_by_cell=act.toggles_by_cell,
        technology=t.name, source=f"{m['source']}; technology {t.name} ({t.path})",
        tools=m["tools"], cached=cached)


def _measure(req: object, root: Path | None) -> tuple[dict[str, Any], bool]:
    """Synthesis figures and toggles of a resolved gate-level stimulus request, from the
    cache when it holds them: (the record, whether it was cached)."""
    from models.activity import activity
    from models.synth import unit_synth
    from sim.paths import cache_root
    from sim.run import COVERAGE_FILE, run

    tools = _tools()
    ident = {"request": req.to_dict(), "tools": tools, "source": _source_digest(),
             "recipe": _RECIPE}
    key = hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:20]
    base = (root or cache_root()) / "cost"
    entry = base / f"{req.key()}-{key}.json"
    try:
        return json.loads(entry.read_text()), True
    except (OSError, ValueError):
        pass  # not measured yet, or an unreadable entry: measure it
    syn = unit_synth(req.unit, req.format, req.format_b, lanes=req.lanes, array=req.array,
                     root=root)
    res = run(req, out=base / "runs", quiet=True)
    if res.mismatches or not res.vectors:
        raise CostError(f"the gate-level netlist of {req.unit} {req.tag} does not match "
                        f"golden ({res.mismatches} of {res.vectors} outputs); replay: "
                        f"{req.replay_command()}")
    act = activity(Path(res.run_dir) / COVERAGE_FILE, syn.drivers)
    if act.cycles == 0 or act.toggles == 0:
        raise CostError(f"no toggles counted in {res.run_dir}/{COVERAGE_FILE}")
    rec = {"activity": asdict(act), "transistors": syn.transistors,
           "flip_flop_bits": syn.flip_flop_bits, "cells": syn.cells,
           "depth_gates": syn.depth_gates,
           "ops": res.ops if res.ops is not None else res.vectors * (req.lanes or 1),
           "tools": tools,
           "source": (f"stimulus {req.stimulus} ({res.vectors} vectors, seed {req.seed}, "
                      f"every output matched golden at gate level); {syn.source}; "
                      f"Verilator {tools['verilator']} --coverage-toggle")}
    base.mkdir(parents=True, exist_ok=True)
    part = entry.with_suffix(f".part{os.getpid()}")
    part.write_text(json.dumps(rec, indent=1))
    os.replace(part, entry)
    return rec, False
