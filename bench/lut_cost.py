"""Benchmark: the LUT tensor core against its MAC baseline, synthesized and measured.

For each array shape (``--arrays``, default 4x4) and low-bit weight format (``--weights``,
default bin1, ternary, int2, int4, fp4_e2m1; int8 activations), both engines of
:mod:`hw.lut` (units ``lut`` and ``lut_mac``, same ports, schedule and results) plus the
int8 x int8 MAC array (``lut_mac`` with int8 weights, the baseline of the LUT Tensor Core
paper: weights dequantized to the activation type) are

- synthesized (:func:`models.cost_report.cost_row` with ``energy=False``, i.e.
  :func:`models.synth.unit_synth`: Yosys + ABC onto NAND2/NOR2/NOT + D flip-flops,
  ``nand2_eq = transistors / 4``), and
- at the registry's default array (4 x 4: a gate-level build of a larger engine takes many
  minutes on a 2-core machine) simulated at gate level under a data stimulus
  (``--stimulus``, default gaussian) on the stimulus GEMM
  (:data:`verif.lut_jobs.STIMULUS_GEMM`), every output checked against golden, the
  toggles priced by the technology file (``--tech``, default
  ``models/data/generic45.toml``): energy per multiply-accumulate.

Density = peak MACs per cycle per 1000 NAND2 equivalents, peak = ``R C g / P`` for the LUT
core (``P`` weight bit-planes, :func:`hw.lut.weights.weight_int`) and ``R C g`` for the
MAC baseline (``g`` = :data:`verif.lut_jobs.GROUP`). Ratios are LUT / MAC (density: > 1
means the LUT core is denser; energy: < 1 means it spends less per MAC) and LUT / int8 MAC.

Prints the table as Markdown, or the rows as JSON (``--json``). Synthesis and gate-level
results are cached (``sim_build/synth``, ``sim_build/cost``), so a second run is quick and a
changed technology file re-prices only the energies' runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WEIGHTS = ("bin1", "ternary", "int2", "int4", "fp4_e2m1")
"""Low-bit weight formats of the comparison (int8 activations)."""
BASELINE = "int8"
"""Weight format of the paper's baseline, the int8 x int8 MAC array (``lut_mac``)."""
ENERGY_ARRAY = (4, 4)
"""The array shape energies are measured at (the ``lut`` units' registry default)."""


def _array(text: str) -> tuple[int, int]:
    """``RxC`` -> (R, C); one-line ``argparse`` error otherwise."""
    try:
        r, c = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"array must be RxC (e.g. 4x4), not {text!r}") from None
    return r, c


def engine_row(unit: str, weight: str, array: tuple[int, int], *, stimulus: str,
               tech: str | None, energy: bool) -> dict[str, Any]:
    """One engine at one array shape: area figures, peak MACs per cycle, density and (when
    ``energy`` and ``array`` is :data:`ENERGY_ARRAY`) energy per MAC by part, in pJ."""
    from hw.lut.weights import weight_int
    from models.cost import unit_cost
    from models.cost_report import cost_row
    from verif.lut_jobs import GROUP

    syn = cost_row((unit, weight, None, None, array), tech=tech, energy=False)
    planes = weight_int(weight).planes if unit == "lut" else 1
    peak = array[0] * array[1] * GROUP / planes
    row: dict[str, Any] = {
        "unit": unit, "weights": weight, "array": f"{array[0]}x{array[1]}",
        "planes": planes, "g": GROUP, "nand2_eq": syn["nand2_eq"],
        "transistors": syn["transistors"], "flip_flop_bits": syn["flip_flop_bits"],
        "depth_gates": syn["depth_gates"], "peak_macs_per_cycle": peak,
        "density": 1000 * peak / syn["nand2_eq"], "synth_seconds": syn["seconds"],
        "energy_pj": None}
    if energy and array == ENERGY_ARRAY:
        c = unit_cost(unit, weight, stimulus=stimulus, tech=tech)
        row.update(energy_pj=c.energy_pj, datapath_pj=c.datapath_pj,
                   registers_pj=c.registers_pj, clock_pj=c.clock_pj,
                   leakage_pj=c.leakage_pj, ops=c.ops, cycles=c.cycles,
                   stimulus=c.stimulus, technology=c.technology)
    return row


def comparison(arrays: list[tuple[int, int]], weights: list[str], *, stimulus: str = "gaussian",
               tech: str | None = None, energy: bool = True) -> list[dict[str, Any]]:
    """Rows per array shape: one per weight format (the LUT core and its MAC baseline, and
    their ratios) and one for the int8 x int8 MAC array (``lut`` fields None)."""
    rows = []
    for arr in arrays:
        base = engine_row("lut_mac", BASELINE, arr, stimulus=stimulus, tech=tech,
                          energy=energy)
        for w in weights:
            lut = engine_row("lut", w, arr, stimulus=stimulus, tech=tech, energy=energy)
            mac = engine_row("lut_mac", w, arr, stimulus=stimulus, tech=tech, energy=energy)
            rows.append({"array": lut["array"], "weights": w, "lut": lut, "mac": mac,
                         **_ratios(lut, mac, base)})
        rows.append({"array": base["array"], "weights": f"({BASELINE} MAC)", "lut": None,
                     "mac": base})
    return rows


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _ratios(lut: dict[str, Any], mac: dict[str, Any], base: dict[str, Any]
            ) -> dict[str, float | None]:
    return {"density_vs_mac": _ratio(lut["density"], mac["density"]),
            "density_vs_int8": _ratio(lut["density"], base["density"]),
            "energy_vs_mac": _ratio(lut["energy_pj"], mac["energy_pj"]),
            "energy_vs_int8": _ratio(lut["energy_pj"], base["energy_pj"])}


def _f(v: float | None, fmt: str) -> str:
    return "" if v is None else format(v, fmt)


def markdown(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table (areas in NAND2 eq., densities in peak MACs per cycle
    per 1000 NAND2 eq., energies in pJ per MAC)."""
    head = ("R x C", "weights", "LUT NAND2 eq.", "LUT MACs/cycle", "LUT density",
            "LUT pJ/MAC", "MAC NAND2 eq.", "MAC MACs/cycle", "MAC density", "MAC pJ/MAC",
            "density LUT/MAC", "density LUT/int8", "energy LUT/MAC", "energy LUT/int8")
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lut, mac = r["lut"] or {}, r["mac"]
        cells = (r["array"], r["weights"], _f(lut.get("nand2_eq"), ",.0f"),
                 _f(lut.get("peak_macs_per_cycle"), "g"), _f(lut.get("density"), ".2f"),
                 _f(lut.get("energy_pj"), ".3f"), _f(mac["nand2_eq"], ",.0f"),
                 _f(mac["peak_macs_per_cycle"], "g"), _f(mac["density"], ".2f"),
                 _f(mac["energy_pj"], ".3f"), _f(r.get("density_vs_mac"), ".2f"),
                 _f(r.get("density_vs_int8"), ".2f"), _f(r.get("energy_vs_mac"), ".2f"),
                 _f(r.get("energy_vs_int8"), ".2f"))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arrays", type=_array, nargs="+", default=[ENERGY_ARRAY],
                    metavar="RxC", help="array shapes (default 4x4; energies at 4x4 only)")
    ap.add_argument("--weights", nargs="+", default=list(WEIGHTS), help="weight formats")
    ap.add_argument("--stimulus", default="gaussian", help="data stimulus of the energy runs")
    ap.add_argument("--tech", default=None, help="technology TOML (default generic45)")
    ap.add_argument("--no-energy", action="store_true", help="areas only (no gate-level runs)")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args(argv)
    from models.energy import TechnologyError
    from sim.units import UsageError

    try:
        rows = comparison(args.arrays, args.weights, stimulus=args.stimulus, tech=args.tech,
                          energy=not args.no_energy)
    except (UsageError, TechnologyError, ValueError) as exc:
        print(f"lut_cost: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    print(json.dumps(rows, indent=1) if args.json else markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
