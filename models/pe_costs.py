"""Measured costs of every engine's processing element, shipped with lowbit.

A whole-network evaluation needs the area and energy of one PE in every format. Measuring
them (synthesis + a gate-level run under a data stimulus, :func:`models.cost.unit_cost`)
takes about 40 minutes for every format on a 2-core machine, so the measurements are kept
in ``models/data/pe_costs.json`` and priced here with any technology file; refresh the
table after changing the hardware with ``python -m models.pe_costs`` (``make pe-costs``).
``tests/test_pe_costs.py`` re-measures a PE and checks the table still holds its toggles.

A row holds what the technology does not change (cells, transistors, flip-flops, the run's
cycles, operations and toggles by cell type), so pricing is exact for any technology
file. PEs per engine:

- ``array``: one PE = the scalar ``mac`` unit (element formats and posits) or the block
  ``dot`` unit (MX, NVFP4; ``lanes`` elements per step) of :mod:`hw.array.pe`;
- ``lut``: the whole LUT tensor core measured at its registry array (4 x 4 cells), divided
  by its cell count: one PE = one cell with its share of the tables and the controller.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from models.energy import CELLS, Technology

__all__ = ["TABLE", "PeCost", "PeCostError", "engine_formats", "pe_cost", "refresh_table"]

TABLE = Path(__file__).parent / "data" / "pe_costs.json"
"""The shipped measurements."""

_ENGINE_UNITS = {"array": ("mac", "dot"), "lut": ("lut",)}
LUT_WEIGHTS = ("bin1", "ternary", "int2", "int4", "fp4_e2m1")
"""Weight formats measured on the LUT core (the low-bit weights it is built for; int8 and
fp6 weights also run on it but take 6-8 bit-planes)."""
STIMULUS = "gaussian"
"""The data stimulus the table is measured under (:mod:`verif.stimuli`)."""


class PeCostError(LookupError):
    """No measured PE for an engine and format; the message is one line."""


@dataclass(frozen=True)
class PeCost:
    """One PE of an engine in a format, priced with one technology.

    ``macs_per_cycle`` is the PE's peak (``lanes`` for the array engine, ``g / P`` for a
    LUT cell); energies are per multiply-accumulate of useful work (``dynamic_pj_per_mac``
    = datapath + register data toggles) or per PE and cycle (clock, leakage).
    """

    engine: str
    format: str
    unit: str
    lanes: int
    macs_per_cycle: float
    transistors: float
    area_um2: float
    flip_flop_bits: float
    datapath_pj_per_mac: float
    registers_pj_per_mac: float
    clock_pj_per_cycle: float
    leakage_pj_per_cycle: float
    depth_gates: int
    source: str

    @property
    def dynamic_pj_per_mac(self) -> float:
        return self.datapath_pj_per_mac + self.registers_pj_per_mac


@functools.cache
def _rows() -> dict[tuple[str, str], dict[str, Any]]:
    try:
        data = json.loads(TABLE.read_text())
    except (OSError, ValueError) as exc:
        raise PeCostError(f"cannot read the PE cost table {TABLE}: {exc}; rebuild it with "
                          "`python -m models.pe_costs`") from None
    return {(r["engine"], r["format"]): r for r in data["rows"]}


def table_meta() -> dict[str, Any]:
    """The table's header: when, how and with which tools it was measured."""
    data = json.loads(TABLE.read_text())
    return {k: v for k, v in data.items() if k != "rows"}


def engine_formats(engine: str) -> list[str]:
    """Formats with a measured PE on ``engine``, in table order."""
    return [f for (e, f) in _rows() if e == engine]


def pe_cost(engine: str, fmt: str, tech: Technology, clock_mhz: float | None = None
            ) -> PeCost:
    """The PE of ``engine`` in format ``fmt`` priced with ``tech`` (leakage per cycle at
    ``clock_mhz``, default the technology's clock)."""
    clk = tech.clock_mhz if clock_mhz is None else clock_mhz
    key = (engine, fmt, json.dumps(tech.to_dict(), sort_keys=True), clk)
    hit = _PRICED.get(key)
    if hit is None:
        hit = _PRICED[key] = _priced(engine, fmt, tech, clk)
    return hit


_PRICED: dict[tuple[str, str, str, float], PeCost] = {}


def _priced(engine: str, fmt: str, tech: Technology, clock_mhz: float) -> PeCost:
    row = _rows().get((engine, fmt))
    if row is None:
        raise PeCostError(f"no measured {engine} PE for format {fmt}; measured: "
                          f"{', '.join(engine_formats(engine))}")
    pes = row["pes"]
    data_fj = reg_fj = 0.0
    for cell, toggles in row["toggles_by_cell"].items():
        e = toggles * tech.toggle_energy_fj(cell)
        if CELLS.get(cell) == "DFF":
            reg_fj += e
        else:
            data_fj += e
    ops = row["ops"]
    tr = row["transistors"] / pes
    ff = row["flip_flop_bits"] / pes
    return PeCost(
        engine=engine, format=fmt, unit=row["unit"], lanes=row["lanes"],
        macs_per_cycle=row["macs_per_cycle"], transistors=tr, area_um2=tech.area_um2(tr),
        flip_flop_bits=ff, datapath_pj_per_mac=data_fj * 1e-3 / ops,
        registers_pj_per_mac=reg_fj * 1e-3 / ops,
        clock_pj_per_cycle=ff * tech.flip_flop_fj_per_cycle * 1e-3,
        leakage_pj_per_cycle=tr * tech.leakage_nw_per_transistor / clock_mhz * 1e-3,
        depth_gates=row["depth_gates"],
        source=f"{row['source']}; table {TABLE.name} measured {table_meta()['measured']}; "
               f"technology {tech.name}")


# ----- measuring ----------------------------------------------------------------------------
def _jobs() -> list[tuple[str, str, str]]:
    """(engine, unit, format) of every PE the table holds."""
    from sim.units import get_unit

    return [(engine, unit, f) for engine, units in _ENGINE_UNITS.items() for unit in units
            for f in (LUT_WEIGHTS if unit == "lut" else get_unit(unit).formats())]


def _measure(job: tuple[str, str, str]) -> dict[str, Any]:
    from models.cost import unit_cost

    engine, unit, fmt = job
    return {"engine": engine, **unit_cost(unit, fmt, stimulus=STIMULUS).to_dict()}


def table_row(cost: dict[str, Any], engine: str | None = None) -> dict[str, Any]:
    """The table row of one :class:`~models.cost.UnitCost` (as a dict, e.g. a row of
    ``lowbit synth --all --json``)."""
    unit, fmt = cost["unit"], cost["format"]
    engine = engine or next(e for e, units in _ENGINE_UNITS.items() if unit in units)
    if unit == "lut":
        from hw.lut.weights import weight_int
        from verif.lut_jobs import GROUP

        rows, cols = _lut_array()
        pes, lanes, peak = rows * cols, GROUP, GROUP / weight_int(fmt).planes
    else:
        pes, lanes = 1, cost["lanes"] or 1
        peak = float(lanes)
    if cost["stimulus"] != STIMULUS:
        raise ValueError(f"the PE table is measured under {STIMULUS}, not {cost['stimulus']}")
    return {"engine": engine, "unit": unit, "format": fmt, "lanes": lanes, "pes": pes,
            "macs_per_cycle": peak, "stimulus": cost["stimulus"],
            "transistors": cost["transistors"], "flip_flop_bits": cost["flip_flop_bits"],
            "cells": cost["cells"], "depth_gates": cost["depth_gates"], "ops": cost["ops"],
            "cycles": cost["cycles"], "toggles_by_cell": cost["toggles_by_cell"],
            "source": cost["source"].split("; technology")[0], "tools": cost["tools"]}


def _lut_array() -> tuple[int, int]:
    from sim.protocol import RunRequest
    from sim.units import resolve

    _, req = resolve(RunRequest(unit="lut", format="int4"))
    return req.array


def write_table(costs: list[dict[str, Any]], path: Path = TABLE) -> Path:
    """Write the table from UnitCost dicts (one per PE of :func:`_jobs`)."""
    rows = [table_row(c) for c in costs]
    data = {"description": "gate-level PE measurements of lowbit's engines (areas and "
                           "toggles; priced by models.pe_costs with a technology file)",
            "command": "python -m models.pe_costs", "measured": date.today().isoformat(),
            "stimulus": STIMULUS, "tools": rows[0]["tools"] if rows else {}, "rows": rows}
    part = path.with_suffix(f".part{os.getpid()}")
    part.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(part, path)  # readers never see half a table
    _rows.cache_clear()
    _PRICED.clear()
    return path


def refresh_table(path: Path = TABLE, workers: int = 2, progress: bool = True) -> Path:
    """Measure every PE (cached measurements are reused) and write the table."""
    from concurrent.futures import ProcessPoolExecutor

    jobs = _jobs()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), unit="PE", file=sys.stderr, dynamic_ncols=True)
    costs: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        for c in pool.map(_measure, jobs):
            costs.append(c)
            if bar is not None:
                bar.set_postfix_str(f"{c['unit']} {c['format']}")
                bar.update()
    if bar is not None:
        bar.close()
    return write_table(costs, path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m models.pe_costs",
                                description="measure every engine PE and write the table")
    p.add_argument("--jobs", type=int, default=2, help="measurements in parallel")
    p.add_argument("--out", type=Path, default=TABLE, help=f"table file (default {TABLE})")
    p.add_argument("--from-json", type=Path, nargs="+", metavar="FILE",
                   help="build the table from UnitCost rows already measured (the output "
                   "of `lowbit synth --all --json`, JSON lists) instead of measuring")
    args = p.parse_args(argv)
    if args.from_json:
        costs = [c for f in args.from_json for c in json.loads(f.read_text())]
        print(write_table(costs, args.out))
    else:
        print(refresh_table(args.out, args.jobs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
