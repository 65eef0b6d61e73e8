"""Benchmark: verified element products per second through cocotb + Verilator (MX dot unit).

Runs ``MxDot`` (32 lanes; ``--format``, default mxfp8_e4m3) through the full flow (vectors
and golden computed up front, one block per cycle, every d/acc output scored) and reports
verified element products/s = blocks x lanes / streaming seconds. Then builds the same
generated Verilog with Verilator alone and a small C++ loop (random inputs, no checks,
no Python) and reports its cycles/s: the ratio is the cost of cocotb + Python per cycle.

Prints a human summary and writes JSON (``--json``, default results/sim_bench.json).
Goal: >= 1,000,000 verified element products/s (~31k cycles/s at 32 lanes).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sim.build import cache_root, to_verilog  # noqa: E402
from sim.paths import results_root  # noqa: E402
from sim.protocol import RunRequest  # noqa: E402
from sim.run import run  # noqa: E402
from sim.toolchain import MAX_BUILD_JOBS, verilator_env  # noqa: E402

_HARNESS = """
#include "Vtop.h"
#include "verilated.h"
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
static uint64_t s = 88172645463325252ull;
static inline uint32_t rnd() { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return (uint32_t)s; }
int main(int argc, char** argv) {
    const long cycles = argc > 1 ? atol(argv[1]) : 1000000;
    VerilatedContext ctx;
    Vtop top{&ctx};
    top.clk = 0; top.rst = 1; top.eval(); top.clk = 1; top.eval(); top.rst = 0;
    uint64_t sink = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (long c = 0; c < cycles; ++c) {
        top.clk = 0;
%(drive)s
        top.eval();
        top.clk = 1;
        top.eval();
        sink += top.o_valid ? top.%(out)s : 0;
    }
    double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    printf("{\\"cycles\\": %%ld, \\"seconds\\": %%.6f, \\"sink\\": %%llu}\\n", cycles, sec,
           (unsigned long long)sink);
    return 0;
}
"""


def _drive_lines(verilog: str, top: str) -> str:
    """C++ statements writing random values to every data input of ``top``."""
    lines = []
    start = verilog.index(f"module {top}(")
    body = verilog[start:verilog.index("endmodule", start)]
    for m in re.finditer(r"^\s*input\s+(?:\[(\d+):0\]\s+)?(\w+)\s*;", body, re.M):
        name = m.group(2)
        width = int(m.group(1)) + 1 if m.group(1) else 1
        if name in ("clk", "rst"):
            continue
        if name == "i_valid":
            lines.append("        top.i_valid = 1;")
        elif width <= 32:
            mask = (1 << width) - 1
            lines.append(f"        top.{name} = rnd() & 0x{mask:x}u;")
        elif width <= 64:
            lines.append(f"        top.{name} = ((uint64_t)rnd() << 32 | rnd()) & "
                         f"0x{(1 << width) - 1:x}ull;")
        else:
            words = (width + 31) // 32
            for w in range(words):
                bits = min(32, width - 32 * w)
                lines.append(f"        top.{name}[{w}] = rnd() & 0x{(1 << bits) - 1:x}u;")
    return "\n".join(lines)


def raw_verilator(component: object, top: str, cycles: int) -> dict[str, float]:
    """Build ``component`` with a plain C++ loop (no VPI, no Python) and time ``cycles``."""
    verilog = to_verilog(component, top)
    work = cache_root() / f"bench-raw-{top}"
    work.mkdir(parents=True, exist_ok=True)
    (work / f"{top}.v").write_text(verilog)
    (work / "harness.cpp").write_text(_HARNESS % {"drive": _drive_lines(verilog, top),
                                                  "out": "d"})
    t0 = time.perf_counter()
    cmd = ["verilator", "--cc", "--exe", "--build", "-j", str(MAX_BUILD_JOBS), "-Wno-fatal",
           "-Wno-lint", "--prefix", "Vtop", "--top-module", top, "-Mdir", str(work / "obj"),
           "-o", "bench", str(work / "harness.cpp"), str(work / f"{top}.v")]
    subprocess.run(cmd, env=verilator_env(), check=True, capture_output=True, text=True)
    build_s = time.perf_counter() - t0
    out = subprocess.run([str(work / "obj" / "bench"), str(cycles)], check=True,
                         capture_output=True, text=True).stdout
    res = json.loads(out.strip().splitlines()[-1])
    return {"build_seconds": round(build_s, 1), "cycles": res["cycles"],
            "seconds": res["seconds"], "cycles_per_s": res["cycles"] / res["seconds"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--format", default="mxfp8_e4m3", help="MX format (default mxfp8_e4m3)")
    ap.add_argument("--blocks", type=int, default=100000, help="random blocks streamed")
    ap.add_argument("--raw-cycles", type=int, default=2000000, help="cycles of the C++ loop")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, default=None, help="JSON output path")
    args = ap.parse_args(argv)

    from hw.block.mx_dot import MxDot

    res = run(RunRequest(unit="dot", format=args.format, vectors=args.blocks, seed=args.seed))
    lanes = 32
    cocotb_cps = res.cycles / res.sim_seconds
    products = res.vectors * lanes / res.sim_seconds
    raw = raw_verilator(MxDot(fmt_a=args.format, lanes=lanes), f"mx_dot_{args.format}_raw",
                        args.raw_cycles)
    summary = {
        "unit": "MxDot", "format": args.format, "lanes": lanes, "blocks": res.vectors,
        "mismatches": res.mismatches, "seed": res.request.seed,
        "cocotb": {"cycles": res.cycles, "seconds": res.sim_seconds,
                   "cycles_per_s": round(cocotb_cps), "verified_products_per_s": round(products),
                   "build_seconds": res.build_seconds, "cached": res.cached},
        "raw_verilator": {k: round(v, 3) if isinstance(v, float) else v for k, v in raw.items()},
        "cocotb_overhead_ratio": round(raw["cycles_per_s"] / cocotb_cps, 1),
        "goal_products_per_s": 1_000_000,
        "goal_met": products >= 1_000_000,
    }
    out = args.json or results_root() / "sim_bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=1))
    print(f"MxDot {args.format} x{lanes} lanes, {res.vectors} blocks, "
          f"{res.mismatches} mismatches (seed {res.request.seed})")
    print(f"  cocotb + Verilator : {cocotb_cps:12,.0f} cycles/s  "
          f"{products:14,.0f} verified element products/s")
    print(f"  Verilator alone    : {raw['cycles_per_s']:12,.0f} cycles/s  "
          f"{raw['cycles_per_s'] * lanes:14,.0f} element products/s (unchecked)")
    print(f"  cocotb overhead    : {summary['cocotb_overhead_ratio']}x   "
          f"goal 1,000,000 products/s: {'met' if summary['goal_met'] else 'NOT met'}")
    print(f"JSON: {out}")
    return 0 if res.mismatches == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
