"""Benchmark: whole-network evaluation speed, sweep speed, and SCALE-Sim side by side.

    .venv/bin/python bench/cost_bench.py [--json OUT] [--skip-scalesim] [--points N]

1. **Evaluation rate**: a full ResNet-50 (54 GEMM layers: cycles, energy by part, SRAM and
   DRAM traffic, bound) on a 16x16 array, int8 and mxfp4, repeated for ``--seconds``:
   :func:`models.evaluate.evaluate_arrays` + :func:`~models.evaluate.totals` (the model)
   and :func:`models.evaluate.evaluate` (the same as a pandas DataFrame).
2. **Sweep rate**: ``--points`` (default 10,000) design points of ResNet-50 (formats x
   array shapes x buffer sizes) through :func:`models.sweep.sweep`, wall time.
3. **The peer**: SCALE-Sim 3.0.0 (its own venv, :mod:`bench.scalesim_peer`) on the same 54
   GEMMs, output-stationary, 16x16: its cycles beside lowbit's array cycle model (int8
   PEs), the ratio per layer and in total, and the time each takes for the whole network.
   SCALE-Sim's results are cached by shape; its time is the one measured when each shape
   was simulated (``scalesim_s``), summed.

Writes JSON (default ``results/cost_bench.json``) and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from models.accel import Accelerator  # noqa: E402
from models.evaluate import evaluate, evaluate_arrays, totals  # noqa: E402
from models.pe_costs import engine_formats  # noqa: E402
from models.sweep import sweep  # noqa: E402
from models.zoo import zoo_workload  # noqa: E402
from sim.paths import results_root  # noqa: E402


def _rate(fn, seconds: float) -> dict[str, float]:
    """Calls per second of ``fn``: median of five windows of ``seconds / 5``."""
    fn()  # warm: cycle models lambdified, PE costs priced
    rates = []
    for _ in range(5):
        n, t0 = 0, time.perf_counter()
        while (dt := time.perf_counter() - t0) < seconds / 5:
            fn()
            n += 1
        rates.append(n / dt)
    return {"per_s": statistics.median(rates), "min_per_s": min(rates),
            "max_per_s": max(rates)}


def evaluation_rate(seconds: float) -> list[dict[str, Any]]:
    wl = zoo_workload("resnet50")
    acc = Accelerator(rows=16, cols=16)
    out = []
    for fmt in ("int8", "mxfp4"):
        model = _rate(lambda f=fmt: totals(evaluate_arrays(wl, acc, f), acc), seconds)
        frame = _rate(lambda f=fmt: evaluate(wl, acc, f), seconds)
        out.append({"format": fmt, "layers": len(wl), "arrays_per_s": model["per_s"],
                    "dataframe_per_s": frame["per_s"], "arrays": model, "dataframe": frame})
    return out


def sweep_rate(points: int) -> dict[str, Any]:
    wl = zoo_workload("resnet50")
    fmts = engine_formats("array")
    shapes = [(r, c) for r in (4, 8, 16, 32, 64) for c in (4, 8, 16, 32, 64)]
    per = len(fmts) * len(shapes)
    n_sizes = max(1, -(-points // per))
    sizes = [int(256 * 1024 * 2 ** (i / 4)) // 64 * 64 for i in range(n_sizes)]
    t0 = time.perf_counter()
    df = sweep(wl, fmts, shapes, sizes)
    dt = time.perf_counter() - t0
    n = len(df) + df.attrs["skipped"]
    return {"points": n, "evaluated": len(df), "skipped_do_not_fit": df.attrs["skipped"],
            "formats": len(fmts), "shapes": len(shapes), "buffer_sizes": len(sizes),
            "seconds": dt, "points_per_s": n / dt}


def scalesim_side_by_side(rows: int = 16, cols: int = 16) -> dict[str, Any]:
    from scalesim_peer import compare, zoo_gemms

    gemms = zoo_gemms("resnet50")
    t0 = time.perf_counter()
    per = compare(gemms, rows, cols)
    wall = time.perf_counter() - t0
    wl = zoo_workload("resnet50")
    acc = Accelerator(rows=rows, cols=cols)
    lowbit_full = _rate(lambda: totals(evaluate_arrays(wl, acc, "int8"), acc), 2.0)
    ss = sum(r["scalesim_cycles"] for r in per)
    lb = sum(r["lowbit_cycles"] for r in per)
    return {"array": f"{rows}x{cols}", "gemms": len(per), "scalesim_cycles": ss,
            "lowbit_cycles": lb, "ratio": ss / lb,
            "formula_ok": all(r.get("formula_ok") for r in per),
            "scalesim_s_per_resnet50": sum(r["scalesim_s"] for r in per),
            "scalesim_cached": all(r["cached"] for r in per), "scalesim_call_s": wall,
            "lowbit_s_per_resnet50": 1.0 / lowbit_full["per_s"], "layers": per}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, default=None, help="JSON output path")
    ap.add_argument("--seconds", type=float, default=5.0, help="timing window per rate")
    ap.add_argument("--points", type=int, default=10_000, help="sweep points")
    ap.add_argument("--skip-scalesim", action="store_true", help="leave out the peer")
    args = ap.parse_args(argv)
    res: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_avg": os.getloadavg(), "python": platform.python_version()},
        "evaluation": evaluation_rate(args.seconds),
        "sweep": sweep_rate(args.points),
    }
    if not args.skip_scalesim:
        res["scalesim"] = scalesim_side_by_side()
    res["machine"]["load_avg_after"] = os.getloadavg()
    out = args.json or results_root() / "cost_bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1))
    print(f"machine: {os.cpu_count()} CPUs, load average {res['machine']['load_avg'][0]:.1f} "
          f"-> {res['machine']['load_avg_after'][0]:.1f}")
    for e in res["evaluation"]:
        print(f"ResNet-50 evaluation, 16x16 {e['format']}: {e['arrays_per_s']:,.0f}/s "
              f"(model), {e['dataframe_per_s']:,.0f}/s (as a DataFrame)")
    s = res["sweep"]
    print(f"sweep: {s['points']:,} points ({s['formats']} formats x {s['shapes']} shapes x "
          f"{s['buffer_sizes']} buffer sizes) in {s['seconds']:.1f} s = "
          f"{s['points_per_s']:,.0f} points/s ({s['skipped_do_not_fit']:,} do not fit)")
    if "scalesim" in res:
        p = res["scalesim"]
        print(f"SCALE-Sim vs lowbit, ResNet-50 ({p['gemms']} GEMMs) on {p['array']} "
              f"output-stationary: {p['scalesim_cycles']:,} vs {p['lowbit_cycles']:,} cycles "
              f"= {p['ratio']:.3f}x (SCALE-Sim formula T(K+R+C-2)-1 held: "
              f"{p['formula_ok']}); time per ResNet-50: SCALE-Sim "
              f"{p['scalesim_s_per_resnet50']:.0f} s (each layer's run as recorded when its "
              f"shape was simulated{', cached' if p['scalesim_cached'] else ''}), lowbit "
              f"{p['lowbit_s_per_resnet50'] * 1e3:.2f} ms (cycles + energy + memory) = "
              f"{p['scalesim_s_per_resnet50'] / p['lowbit_s_per_resnet50']:,.0f}x")
    print(f"json: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
