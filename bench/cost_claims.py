"""What the papers claim about format costs, measured on lowbit's own verified units.

Prints Markdown tables (``--json``: the rows) for docs/costs.md, "What the papers claim":

1. MXINT8 against MXFP8 dot units at block 32 ("INT v.s. FP", Chen et al. 2025);
2. the PEs of XR-NPE's formats (fp4, posit(4,1), posit(8,0), posit(16,1)) beside int8 and
   fp8 scalar MACs (Chaudhari et al. 2025);
3. the NVFP4 block unit against the MXFP4 one.

(The LUT core against its MAC baseline: ``bench/lut_cost.py``.) Every figure comes from
:func:`models.cost.unit_cost`: the unit synthesized with Yosys + ABC, its netlist simulated
under the named stimulus and checked against golden, toggles priced with the default
technology file. Cached: a second run takes seconds.

    python bench/cost_claims.py [--stimulus gaussian] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.cost import UnitCost, unit_cost

GROUPS = {
    "mxint8_vs_mxfp8": [("dot", "mxint8"), ("dot", "mxfp8_e4m3"), ("dot", "mxfp8_e5m2")],
    "xr_npe_formats": [("mac", "fp4_e2m1"), ("mac", "posit4_es1"), ("mac", "posit8_es0"),
                       ("mac", "posit16_es1"), ("mac", "int8"), ("mac", "fp8_e4m3")],
    "nvfp4_vs_mxfp4": [("dot", "mxfp4"), ("dot", "nvfp4")],
}


def _row(c: UnitCost) -> dict[str, object]:
    lanes = c.lanes or 1
    return {"unit": c.unit, "format": c.format, "lanes": lanes, "transistors": c.transistors,
            "area_um2_per_mac": c.area_um2 / lanes, "energy_pj_per_mac": c.energy_pj,
            "datapath_pj": c.datapath_pj, "clock_pj": c.clock_pj, "depth_gates": c.depth_gates,
            "flip_flop_bits": c.flip_flop_bits}


def measure(stimulus: str) -> dict[str, list[dict[str, object]]]:
    return {g: [_row(unit_cost(u, f, stimulus=stimulus)) for u, f in jobs]
            for g, jobs in GROUPS.items()}


def markdown(groups: dict[str, list[dict[str, object]]]) -> str:
    out = []
    for name, rows in groups.items():
        base = rows[0]
        out += [f"{name}:", "",
                "| unit | lanes | transistors | area per MAC (um^2) | energy per MAC (pJ) | "
                f"vs {base['format']}: area | energy | depth |",
                "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in rows:
            out.append(f"| `{r['unit']} {r['format']}` | {r['lanes']} | {r['transistors']:,} | "
                       f"{r['area_um2_per_mac']:.0f} | {r['energy_pj_per_mac']:.4f} | "
                       f"{r['area_um2_per_mac'] / base['area_um2_per_mac']:.2f} | "
                       f"{r['energy_pj_per_mac'] / base['energy_pj_per_mac']:.2f} | "
                       f"{r['depth_gates']} |")
        out.append("")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stimulus", default="gaussian")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    groups = measure(args.stimulus)
    print(json.dumps(groups, indent=1) if args.json else markdown(groups))
    return 0


if __name__ == "__main__":
    sys.exit(main())
