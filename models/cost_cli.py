"""``lowbit cost`` and ``lowbit sweep``: whole networks on an accelerator, from the shell.

- ``lowbit cost --net NET --format F [--array RxC] [--engine array|lut] [--buffer-kib A,B,C]
  [--bandwidth BYTES_PER_CYCLE] [--clock-mhz F] [--tech FILE] [--csv F] [--json] [--plot F]``:
  the per-layer table and totals of :func:`models.evaluate.evaluate`; ``--plot`` draws the
  energy breakdown per layer and the roofline of the layers.
- ``lowbit sweep --net NET [--formats F,...] [--arrays RxC,...] [--buffer-kib N,...]
  [--csv F] [--plot F] [--json]``: every combination, a progress bar, a CSV and a Pareto
  plot (:mod:`models.sweep`).

Every bad input (network, format, array shape, buffer size) is one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parsers", "run"]


class CliError(ValueError):
    """A bad argument; one line."""


def _shape(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)x(\d+)", text.strip().lower())
    if not m or int(m[1]) < 1 or int(m[2]) < 1:
        raise CliError(f"array shape must look like 16x16 (rows x columns, each >= 1), "
                       f"not {text!r}")
    return int(m[1]), int(m[2])


def _list(text: str, what: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise CliError(f"{what} needs at least one value, e.g. {what} a,b")
    return items


def _kib(text: str, what: str) -> list[int]:
    out = []
    for t in _list(text, what):
        try:
            v = float(t)
        except ValueError:
            v = -1.0
        if not v > 0 or v * 1024 != int(v * 1024):
            raise CliError(f"{what} takes sizes in KiB (numbers > 0), not {t!r}")
        out.append(int(v * 1024))
    return out


def add_parsers(sub: Any) -> None:
    """Add ``cost`` and ``sweep`` to the ``lowbit`` sub-command parser ``sub``."""
    c = sub.add_parser("cost", help="cycles, time, energy and area of a network on an "
                       "accelerator, per layer")
    _common(c)
    c.add_argument("--format", required=True, help="format of every layer, e.g. mxfp4, int8")
    c.add_argument("--array", default="16x16", help="rows x columns (default 16x16)")
    c.add_argument("--buffer-kib", default="512,512,64", metavar="A,B,C",
                   help="A (activations), B (weights) and C (results) buffers in KiB "
                   "(default 512,512,64)")
    c.add_argument("--csv", type=Path, metavar="FILE", help="write the per-layer table")
    c.add_argument("--plot", type=Path, metavar="PNG", help="energy breakdown per layer and "
                   "the layers' roofline")
    c.add_argument("--rows", type=int, default=40, metavar="N",
                   help="layers printed (the most energy-hungry; 0: all)")
    s = sub.add_parser("sweep", help="design-space sweep: array shape x format x buffer size, "
                       "with a CSV and a Pareto plot")
    _common(s)
    s.add_argument("--formats", default=None, help="comma-separated formats (default: int8, "
                   "fp8_e4m3, posit8 and the MX / NVFP4 formats on the array; every weight "
                   "format on the LUT core)")
    s.add_argument("--arrays", default="4x4,8x8,16x16,32x32,8x32,32x8,64x64",
                   help="comma-separated RxC shapes")
    s.add_argument("--buffer-kib", default="128,256,512,1024,2048",
                   help="comma-separated sizes of each of the A and B buffers in KiB (C is a "
                   "quarter of it, at least 16 KiB)")
    s.add_argument("--csv", type=Path, metavar="FILE", help="where to write the points "
                   "(default <results>/sweep-NET.csv)")
    s.add_argument("--plot", type=Path, metavar="PNG", help="the Pareto plot (default "
                   "<results>/sweep-NET.png)")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--net", required=True, help="a zoo network: resnet18, resnet50, "
                   "mobilenet_v2, vit_b16, bert_base, llama2_7b_prefill, llama2_7b_decode")
    p.add_argument("--engine", default="array", help="array (PE array, default) or lut "
                   "(LUT tensor core: low-bit weights, int8 activations)")
    p.add_argument("--bandwidth", type=float, default=32.0, metavar="BYTES",
                   help="DRAM bytes per cycle (default 32)")
    p.add_argument("--clock-mhz", type=float, default=None, help="clock (default: the "
                   "technology's)")
    p.add_argument("--tech", metavar="FILE", help="technology TOML file (default generic45)")
    p.add_argument("--json", action="store_true", help="machine-readable, on stdout")


def _workload(name: str):
    from models.zoo import zoo_workload

    return zoo_workload(name)


def _accel(args: argparse.Namespace, shape: tuple[int, int], buffers: list[int]):
    from models.accel import Accelerator

    if len(buffers) != 3:
        raise CliError(f"--buffer-kib takes three sizes A,B,C in KiB, not {len(buffers)}")
    return Accelerator(engine=args.engine, rows=shape[0], cols=shape[1],
                       a_buffer_bytes=buffers[0], b_buffer_bytes=buffers[1],
                       c_buffer_bytes=buffers[2], dram_bytes_per_cycle=args.bandwidth,
                       clock_mhz=args.clock_mhz, tech=args.tech)


def _si(x: float, unit: str) -> str:
    for div, pre in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3g} {pre}{unit}"
    return f"{x:.3g} {unit}"


def _time(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.4g} s"
    return f"{us / 1e3:.4g} ms" if us >= 1e3 else f"{us:.4g} us"


def _cost(args: argparse.Namespace) -> int:
    from models.cost_plots import plot_network
    from models.evaluate import evaluate

    wl = _workload(args.net)
    accel = _accel(args, _shape(args.array), _kib(args.buffer_kib, "--buffer-kib"))
    df = evaluate(wl, accel, args.format)
    tot = df.attrs["totals"]
    if args.csv:
        df.to_csv(args.csv, index=False)
    png = plot_network(df, args.plot, title=f"{wl.name}, {args.format}, {accel.engine} "
                       f"{accel.shape}") if args.plot else None
    if args.json:
        print(json.dumps({"network": wl.name, "format": args.format,
                          "accelerator": accel.to_dict(), "totals": tot,
                          "layers": json.loads(df.to_json(orient="records"))}, indent=1))
        return 0
    show = df if args.rows == 0 else df.nlargest(args.rows, "energy_pj").sort_index()
    cols = ["layer", "m", "k", "n", "repeat", "macs", "cycles", "utilization", "bound",
            "dram_bytes", "pe_datapath_pj", "sram_pj", "dram_pj", "energy_pj"]
    print(f"{wl.name} ({len(df)} GEMM layers, {_si(tot['macs'], 'MAC')}) on {accel.engine} "
          f"{accel.shape}, {args.format}; technology {accel.technology.name}, "
          f"{accel.clock:g} MHz, DRAM {accel.dram_bytes_per_cycle:g} B/cycle")
    if len(show) < len(df):
        print(f"the {len(show)} layers with the most energy, in network order "
              f"(--rows 0 prints all {len(df)}):")
    with _pd_options():
        print(show[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    e = tot["energy_pj"]
    print(f"total: {tot['cycles']:,} cycles = {_time(tot['time_us'])}, "
          f"{_si(e * 1e-12, 'J')} ({tot['pj_per_mac']:.4g} pJ/MAC), utilization "
          f"{tot['utilization']:.1%}, {tot['memory_bound_layers']} of {tot['layers']} "
          f"layers memory-bound")
    parts = ("pe_datapath_pj", "pe_clock_pj", "sram_pj", "dram_pj", "leakage_pj")
    print("energy: " + ", ".join(f"{p.removesuffix('_pj')} {tot[p] / e:.1%}" for p in parts))
    print(f"area: {tot['area_um2'] / 1e6:.4g} mm^2 (PEs {tot['pe_um2'] / 1e6:.4g}, SRAM "
          f"{tot['sram_um2'] / 1e6:.4g}); DRAM traffic {_si(tot['dram_bytes'], 'B')}")
    if args.csv:
        print(f"table: {args.csv}")
    if png:
        print(f"plot: {png}")
    return 0


def _pd_options():
    import pandas as pd

    return pd.option_context("display.width", 200, "display.max_columns", 30)


def _sweep(args: argparse.Namespace) -> int:
    from models.cost_plots import plot_pareto
    from models.sweep import DEFAULT_FORMATS, pareto, sweep
    from sim.paths import results_root

    wl = _workload(args.net)
    if args.engine not in ("array", "lut"):
        raise CliError(f"--engine must be array or lut, not {args.engine!r}")
    fmts = (_list(args.formats, "--formats") if args.formats
            else list(DEFAULT_FORMATS[args.engine]))
    shapes = [_shape(t) for t in _list(args.arrays, "--arrays")]
    sizes = _kib(args.buffer_kib, "--buffer-kib")
    df = sweep(wl, fmts, shapes, sizes, engine=args.engine, bandwidth=args.bandwidth,
               clock_mhz=args.clock_mhz, tech=args.tech, progress=not args.json)
    front = pareto(df)
    out = results_root()
    csv = args.csv or out / f"sweep-{wl.name}.csv"
    png = args.plot or out / f"sweep-{wl.name}.png"
    csv.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(csv, index=False)
    plot_pareto(df, png, title=f"{wl.name}: {len(df):,} design points ({args.engine})")
    if args.json:
        print(json.dumps({"network": wl.name, "points": len(df),
                          "skipped": df.attrs["skipped"], "csv": str(csv),
                          "plot": str(png),
                          "pareto": json.loads(df[front].to_json(orient="records"))},
                         indent=1))
        return 0
    cols = ["format", "rows", "cols", "buffer_kib", "time_us", "energy_uj", "area_mm2",
            "utilization"]
    skipped = df.attrs["skipped"]
    print(f"{wl.name}: {len(df):,} design points ({len(fmts)} formats x {len(shapes)} "
          f"arrays x {len(sizes)} buffer sizes"
          + (f"; {skipped:,} left out: their buffers cannot hold some layer's smallest run"
             if skipped else "")
          + f"); {int(front.sum())} on the energy-latency Pareto front:")
    with _pd_options():
        print(df[front].sort_values("time_us")[cols].to_string(
            index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"csv: {csv}\nplot: {png}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run ``lowbit cost`` / ``lowbit sweep``; one-line errors exit 2."""
    from models.accel import AcceleratorError
    from models.evaluate import EvaluationError
    from models.memory import BufferOverflowError
    from models.pe_costs import PeCostError
    from models.zoo import ZooError

    try:
        return {"cost": _cost, "sweep": _sweep}[args.command](args)
    except (CliError, AcceleratorError, EvaluationError, BufferOverflowError, PeCostError,
            ZooError) as exc:
        print(f"lowbit: {exc}", file=sys.stderr)
        return 2
