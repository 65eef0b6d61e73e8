"""Tables and plots of unit costs: what ``lowbit synth`` prints and draws.

One row per (unit, formats): area from synthesis for every unit, energy per operation from
a gate-level stimulus run (:func:`models.cost.unit_cost`) for the units whose job takes a
stimulus (the others: area only). Rows are plain dicts of :class:`~models.cost.UnitCost`
or :class:`~models.synth.SynthResult` fields, so ``--json`` prints them as they are.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

__all__ = ["cost_row", "cost_rows", "format_table", "pe_jobs", "plot_costs"]

Job = tuple[str, str, str | None, int | None, tuple[int, int] | None]
"""(unit, format, format_b, lanes, array) of one row."""


def pe_jobs() -> list[Job]:
    """Every processing element: each format's scalar ``mac`` and block ``dot`` unit."""
    from sim.units import get_unit

    return [(name, f, None, None, None) for name in ("mac", "dot")
            for f in get_unit(name).formats()]


def cost_row(job: Job, *, stimulus: str = "gaussian", tech: str | None = None,
             energy: bool = True) -> dict[str, Any]:
    """The row of one job: a :class:`UnitCost` when ``energy`` and the unit takes a
    stimulus, else its synthesis result (area and depth only)."""
    from models.cost import unit_cost
    from models.energy import load_technology
    from models.synth import unit_synth
    from sim.protocol import RunRequest
    from sim.units import resolve

    unit, fmt, fmt_b, lanes, array = job
    u, req = resolve(RunRequest(unit=unit, format=fmt, format_b=fmt_b, lanes=lanes,
                                array=array))
    if energy and u.stimulus:
        return unit_cost(u.name, fmt, fmt_b, stimulus, tech=tech, lanes=lanes,
                         array=array).to_dict()
    r = unit_synth(u.name, fmt, fmt_b, lanes=lanes, array=array).to_dict()
    t = load_technology(tech)
    r.update(format=fmt, format_b=req.format_b, lanes=req.lanes,
             area_um2=round(t.area_um2(r["transistors"]), 3), technology=t.name)
    return r


def _row_worker(args: tuple[Job, str, str | None, bool]) -> dict[str, Any]:
    job, stimulus, tech, energy = args
    return cost_row(job, stimulus=stimulus, tech=tech, energy=energy)


def cost_rows(jobs: Sequence[Job], *, stimulus: str = "gaussian", tech: str | None = None,
              energy: bool = True, workers: int = 1, progress: bool = False
              ) -> list[dict[str, Any]]:
    """Rows of every job, in the order given; ``workers`` processes; ``progress``: a tqdm
    bar on stderr."""
    rows: list[dict[str, Any] | None] = [None] * len(jobs)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), unit="unit", file=sys.stderr, dynamic_ncols=True)
    try:
        if workers <= 1:
            for i, job in enumerate(jobs):
                if bar is not None:
                    bar.set_postfix_str(f"{job[0]} {job[1]}")
                rows[i] = _row_worker((job, stimulus, tech, energy))
                if bar is not None:
                    bar.update()
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futs = {pool.submit(_row_worker, (job, stimulus, tech, energy)): i
                        for i, job in enumerate(jobs)}
                for fut in as_completed(futs):
                    rows[futs[fut]] = fut.result()
                    if bar is not None:
                        bar.set_postfix_str(f"{jobs[futs[fut]][0]} {jobs[futs[fut]][1]}")
                        bar.update()
    finally:
        if bar is not None:
            bar.close()
    return [r for r in rows if r is not None]


def _tag(r: dict[str, Any]) -> str:
    fb = r.get("format_b")
    return r["format"] if not fb or fb == r["format"] else f"{r['format']} x {fb}"


def _pj(v: float | None) -> str:
    return "-" if v is None else f"{v:.4f}"


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """A fixed-width table: area, depth and (where measured) energy per operation."""
    head = ("unit", "format", "cells", "FF bits", "transistors", "NAND2 eq.", "area um2",
            "depth", "pJ/op", "datapath", "registers", "clock", "leakage")
    table = [(r["unit"], _tag(r), str(r["cells"]), str(r["flip_flop_bits"]),
              str(r["transistors"]), f"{r['nand2_eq']:.0f}", f"{r['area_um2']:.0f}",
              str(r["depth_gates"]), _pj(r.get("energy_pj")), _pj(r.get("datapath_pj")),
              _pj(r.get("registers_pj")), _pj(r.get("clock_pj")), _pj(r.get("leakage_pj")))
             for r in rows]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(t, widths, strict=True)) for t in table]
    measured = [r for r in rows if r.get("energy_pj") is not None]
    if measured:
        r = measured[0]
        lines.append(f"energy per operation (a MAC; a dot unit's lane product) from toggles "
                     f"of the gate-level netlist under stimulus {r['stimulus']!r}, technology "
                     f"{r['technology']}")
        lines.append(f"source: {r['source']}")
    else:
        lines.append(f"source: {rows[0]['source']}; depth in gate levels (ltp -noff)")
    return "\n".join(lines)


def _family(fmt: str) -> str:
    from golden.formats import get_format

    s = get_format(fmt)
    if s.is_block:
        return "block (MX, NVFP4)"
    return {"float": "float", "posit": "posit"}.get(s.kind, "integer")


def plot_costs(rows: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """A PNG of area and energy per MAC against bits per element, one point per format
    (dot units divided by their lanes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from golden.formats import get_format

    fig, axes = plt.subplots(1, 2, figsize=(12, 5), constrained_layout=True)
    colours = {"integer": "tab:blue", "float": "tab:orange", "posit": "tab:green",
               "block (MX, NVFP4)": "tab:red"}
    panels = (("area_um2", "area per MAC (um$^2$)"), ("energy_pj", "energy per MAC (pJ)"))
    for ax, (key, label) in zip(axes, panels, strict=True):
        seen = set()
        for r in rows:
            if r.get(key) is None:
                continue
            per = r[key] / (r.get("lanes") or 1) if key == "area_um2" else r[key]
            bits = get_format(r["format"]).bits
            fam = _family(r["format"])
            ax.scatter(bits, per, color=colours[fam], label=None if fam in seen else fam, s=40)
            seen.add(fam)
            ax.annotate(r["format"], (bits, per), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
        ax.set_yscale("log")
        ax.set_xlabel("bits per element")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    r0 = next((r for r in rows if r.get("energy_pj") is not None), rows[0])
    fig.suptitle(f"lowbit PE cost per MAC: synthesized netlists, technology "
                 f"{r0.get('technology', '')}"
                 + (f", stimulus {r0['stimulus']}" if r0.get("stimulus") else ""), fontsize=10)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
