"""The README's worked study: ResNet-50 and Llama-2-7B decode on a 16x16 PE array in seven
formats: energy, time and where the energy goes.

    .venv/bin/python examples/network_study.py [--plot docs/study.png] [--json]

Every figure comes from :func:`models.evaluate.evaluate` on the default accelerator
(512 KiB A and B buffers, 64 KiB C buffer, 32 B/cycle of DRAM, generic45 at 1 GHz) with
the PE costs lowbit ships (gate-level toggles under a gaussian stimulus).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.accel import Accelerator
from models.cost_plots import plot_study
from models.evaluate import evaluate
from models.zoo import zoo_workload

NETS = ("resnet50", "llama2_7b_decode")
FORMATS = ("int8", "fp8_e4m3", "mxfp8_e4m3", "mxint8", "mxfp4", "nvfp4", "posit8")
PARTS = ("pe_datapath_pj", "pe_clock_pj", "sram_pj", "dram_pj", "leakage_pj")


def study(rows: int = 16, cols: int = 16) -> dict[str, dict[str, dict]]:
    """``{network: {format: totals}}`` on a ``rows x cols`` array."""
    acc = Accelerator(rows=rows, cols=cols)
    return {net: {f: evaluate(zoo_workload(net), acc, f).attrs["totals"] for f in FORMATS}
            for net in NETS}


def markdown(res: dict[str, dict[str, dict]]) -> str:
    lines = ["| network | format | time (ms) | energy (mJ) | pJ/MAC | PE | SRAM | DRAM | "
             "leakage | memory-bound layers | area (mm^2) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for net, by in res.items():
        for f, t in by.items():
            e = t["energy_pj"]
            pe = (t["pe_datapath_pj"] + t["pe_clock_pj"]) / e
            lines.append(
                f"| {net} | {f} | {t['time_us'] / 1e3:.3g} | {e * 1e-9:.3g} | "
                f"{t['pj_per_mac']:.3g} | {pe:.0%} | {t['sram_pj'] / e:.0%} | "
                f"{t['dram_pj'] / e:.0%} | {t['leakage_pj'] / e:.0%} | "
                f"{t['memory_bound_layers']}/{t['layers']} | {t['area_um2'] / 1e6:.3g} |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--plot", type=Path, default=Path("docs/study.png"))
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    res = study()
    plot_study(res, args.plot, title="16x16 PE array, generic45 @ 1 GHz, 32 B/cycle DRAM")
    print(json.dumps(res, indent=1) if args.json else markdown(res))
    print(f"plot: {args.plot}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
