"""The ``lowbit`` command line (argument parsing and printing only; the work is in
:mod:`sim.run` and :mod:`sim.units`).

- ``lowbit sim --format F [--unit U] [--format-b F] [--seed S] [--vectors N] [--lanes L]
  [--array RxC] [--mutation M] [--waves] [--json]``: simulate one unit against golden;
  ``lowbit sim --request run.json`` replays a run exactly from its request file.
- ``lowbit units [--json | --markdown]``: the unit x format table of the registry.
- ``lowbit sim ... --level gate [--stimulus S]``: the synthesized netlist instead of the
  RTL; with a stimulus (:mod:`verif.stimuli`) the operands come from a data distribution.
- ``lowbit synth --format F [--unit U] [--stimulus S] [--tech FILE] [--area-only] [--json]``
  / ``lowbit synth --all [--plot PNG]``: cells, flip-flops, transistors, area and logic
  depth from Yosys + ABC (:mod:`models.synth`), energy per operation from the netlist's
  toggles (:mod:`models.cost`).
- ``lowbit calibrate [--tech FILE] [--fit] [--json]``: the add/mul units' energies against
  Horowitz's 45 nm table (:mod:`models.calibrate`).
- ``lowbit cost`` / ``lowbit sweep``: a whole network on an accelerator, per layer, and
  design-space sweeps (:mod:`models.cost_cli`).

Exit status: 0 when every output matched golden, 1 on any mismatch, 2 for bad input (one
line naming what was wrong and what is allowed). Also ``python -m sim ...``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
from pathlib import Path

from sim.protocol import RunRequest, RunResult
from sim.units import UsageError

__all__ = ["main", "units_markdown", "units_table"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        print(f"lowbit: {message}", file=sys.stderr)
        sys.exit(2)


def _array(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)x(\d+)", text.strip().lower())
    if not m:
        raise argparse.ArgumentTypeError(f"--array must look like 4x4 (rows x columns), not "
                                         f"{text!r}")
    return int(m[1]), int(m[2])


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="lowbit", description="lowbit: design, verify and cost low-precision "
                "accelerators")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    s = sub.add_parser("sim", help="simulate a unit with Verilator + cocotb against golden")
    s.add_argument("--format", help="format name, e.g. mxfp4, fp8_e4m3, posit12_es1, fp32")
    s.add_argument("--unit", help="unit name (default: the format's first unit; see "
                   "`lowbit units`)")
    s.add_argument("--format-b", help="second operand format of a mixed pair")
    s.add_argument("--seed", type=int, help="random seed (default: a fresh one, printed)")
    s.add_argument("--vectors", type=int, help="vector count (default: per unit)")
    s.add_argument("--lanes", type=int, help="lanes of a block unit (default: the block size)")
    s.add_argument("--array", type=_array, help="rows x columns of a GEMM engine, e.g. 4x4")
    s.add_argument("--mutation", help="build a deliberately broken variant (mutation tests)")
    s.add_argument("--waves", action="store_true", help="write an FST waveform")
    s.add_argument("--level", choices=("rtl", "gate"), help="simulate the RTL (default) or "
                   "its gate-level netlist from synthesis")
    s.add_argument("--stimulus", help="operands from a data distribution instead of the "
                   "verification vectors: gaussian, laplace, uniform, sparse or zero")
    s.add_argument("--progress", type=int, default=10000, metavar="N",
                   help="log a progress line every N vectors (0: off)")
    s.add_argument("--request", type=Path, metavar="FILE",
                   help="replay the run described by a request file (request.json)")
    s.add_argument("--out", type=Path, metavar="DIR", help="results folder (default: "
                   "$LOWBIT_RESULTS, results/ in a checkout, else ./lowbit-results)")
    s.add_argument("--json", action="store_true", help="print the result as JSON on stdout "
                   "(the simulator's log goes to sim.log in the run directory)")
    y = sub.add_parser("synth", help="synthesize a unit with Yosys + ABC: area, depth and "
                       "energy per operation from its gate-level toggles")
    y.add_argument("--format", help="format name (or --all)")
    y.add_argument("--unit", help="unit name (default: the format's first unit)")
    y.add_argument("--format-b", help="second operand format of a mixed pair")
    y.add_argument("--lanes", type=int, help="lanes of a block unit (default: the block size)")
    y.add_argument("--array", type=_array, help="rows x columns of a GEMM engine, e.g. 2x2")
    y.add_argument("--all", action="store_true",
                   help="every PE format: the scalar MAC and block dot unit of each format")
    y.add_argument("--stimulus", help="data of the energy run: gaussian (default), laplace, "
                   "uniform, sparse or zero")
    y.add_argument("--tech", metavar="FILE", help="technology TOML file (default: the "
                   "built-in generic45, see docs/costs.md)")
    y.add_argument("--area-only", action="store_true", help="synthesis only: no gate-level "
                   "energy run")
    y.add_argument("--plot", type=Path, metavar="PNG", help="with --all: where to draw area "
                   "and energy per MAC against bits (default: <results>/synth_all.png)")
    y.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), metavar="N",
                   help="with --all: units costed in parallel (default: 2)")
    y.add_argument("--json", action="store_true", help="machine-readable, on stdout")
    c = sub.add_parser("calibrate", help="energy of lowbit's add/mul units against "
                       "Horowitz (ISSCC 2014, 45 nm): the technology file's calibration")
    c.add_argument("--tech", metavar="FILE", help="technology TOML file (default: generic45)")
    c.add_argument("--fit", action="store_true", help="fit the file's toggle and clock "
                   "energies on the two fit operations first, and print them")
    c.add_argument("--json", action="store_true", help="machine-readable, on stdout")
    u = sub.add_parser("units", help="list the hardware units and the formats each takes")
    g = u.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="machine-readable")
    g.add_argument("--markdown", action="store_true", help="as a Markdown table (README)")
    from models.cost_cli import add_parsers

    add_parsers(sub)
    return p


# ----- lowbit units ---------------------------------------------------------------------------

def units_table() -> list[dict[str, object]]:
    """One row per registered unit: name, family, formats, pairs, vectors, mutations, cycle
    model, testbench, summary (what ``lowbit units --json`` prints)."""
    from golden.formats import format_names, get_format
    from sim.units import units

    rows = []
    for u in units():
        fmts = u.formats()
        pairs = sorted({f"{a} x {b}" for a in fmts for b in format_names()
                        if b != a and u.pairs(get_format(a), get_format(b))})
        muts = sorted({m for f in fmts for m in u.mutations(get_format(f))})
        rows.append({"unit": u.name, "family": u.family, "formats": fmts,
                     "formats_note": u.formats_note, "mixed_pairs": len(pairs),
                     "default_vectors": u.vectors, "mutations": muts,
                     "cycle_model": u.engine, "testbench": u.testbench,
                     "summary": u.summary})
    return rows


def units_markdown() -> str:
    """The unit table as Markdown (the README's table is this text)."""
    out = ["| unit | formats | default vectors | mutations | cycle model |",
           "|------|---------|-----------------|-----------|-------------|"]
    for r in units_table():
        fmts = ", ".join(f"`{f}`" for f in r["formats"])
        if r["formats_note"]:
            fmts += f"; {r['formats_note']}"
        if r["mixed_pairs"]:
            fmts += f" (+{r['mixed_pairs']} mixed pairs)"
        muts = ", ".join(r["mutations"]) or "-"
        out.append(f"| `{r['unit']}` | {fmts} | {r['default_vectors']} | {muts} | "
                   f"{r['cycle_model'] or '-'} |")
    return "\n".join(out)


def _print_units(args: argparse.Namespace) -> int:
    rows = units_table()
    if args.json:
        print(json.dumps(rows, indent=1))
    elif args.markdown:
        print(units_markdown())
    else:
        for r in rows:
            print(f"{r['unit']:<8} {r['family']:<6} {r['summary']}")
            fmts = ", ".join(r["formats"]) + (f"; {r['formats_note']}" if r["formats_note"]
                                              else "")
            print(f"{'':<16}formats: {fmts}")
            print(f"{'':<16}vectors: {r['default_vectors']}")
            if r["mutations"]:
                print(f"{'':<16}mutations: {', '.join(r['mutations'])}")
            if r["cycle_model"]:
                print(f"{'':<16}cycle model: {r['cycle_model']}")
    return 0


# ----- lowbit synth ---------------------------------------------------------------------------

def _synth(args: argparse.Namespace) -> int:
    from models.cost import CostError
    from models.cost_report import cost_rows, format_table, pe_jobs, plot_costs
    from models.energy import load_technology
    from models.synth import SynthError
    from verif.stimuli import check_stimulus

    if args.all == (args.format is not None):
        raise UsageError("lowbit synth needs either --format F or --all")
    if args.all and any(getattr(args, k) for k in ("unit", "format_b", "lanes", "array")):
        raise UsageError("--all synthesizes every PE at its defaults; give no --unit, "
                         "--format-b, --lanes or --array with it")
    if args.plot is not None and not args.all:
        raise UsageError("--plot draws the --all table; give it with --all")
    if args.jobs < 1:
        raise UsageError(f"--jobs must be a positive integer, not {args.jobs}")
    try:
        check_stimulus(args.stimulus or "gaussian")
        load_technology(args.tech)  # a bad file fails here, in one line, before any work
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    jobs = pe_jobs() if args.all else [(args.unit or "", args.format, args.format_b,
                                        args.lanes, args.array)]
    if args.stimulus is not None:  # asked for: the unit must take one (resolve says which do)
        from sim.protocol import RunRequest
        from sim.units import resolve

        for unit, fmt, fmt_b, lanes, array in jobs:
            resolve(RunRequest(unit=unit, format=fmt, format_b=fmt_b, lanes=lanes,
                               array=array, stimulus=args.stimulus))
    try:
        rows = cost_rows(jobs, stimulus=args.stimulus or "gaussian", tech=args.tech,
                         energy=not args.area_only, workers=args.jobs if args.all else 1,
                         progress=args.all and not args.json)
    except (SynthError, CostError) as exc:
        print(f"lowbit: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    if args.all:
        from sim.paths import results_root

        png = plot_costs(rows, args.plot or results_root() / "synth_all.png")
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(format_table(rows))
    if args.all:
        print(f"plot: {png}")
    return 0


# ----- lowbit calibrate -----------------------------------------------------------------------

def _calibrate(args: argparse.Namespace) -> int:
    from models.calibrate import FIT, STIMULUS, fit, validation
    from models.cost import CostError
    from models.energy import load_technology

    try:
        tech = load_technology(args.tech)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        if args.fit:
            tech = fit(tech)
        rows = validation(tech)
    except (CostError, ValueError) as exc:
        print(f"lowbit: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"technology": tech.to_dict(), "fit_on": list(FIT),
                          "stimulus": STIMULUS, "rows": [r.to_dict() for r in rows]},
                         indent=1))
        return 0
    print(f"technology {tech.name} ({tech.path}): toggle_fj = {tech.toggle_fj:.4f}, "
          f"clock.flip_flop_fj_per_cycle = {tech.flip_flop_fj_per_cycle:.4f}"
          + (" (fitted now)" if args.fit else ""))
    print(f"fit on: {', '.join(FIT)}; stimulus {STIMULUS}; energy per operation in pJ")
    head = ("operation", "unit", "transistors", "lowbit pJ", "Horowitz pJ", "ratio", "role")
    table = [(r.name, f"{r.unit} {r.format}", str(r.transistors), f"{r.measured_pj:.3f}",
              "-" if r.reference_pj is None else f"{r.reference_pj:g}",
              "-" if r.ratio is None else f"{r.ratio:.2f}", r.role) for r in rows]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    for t in table:
        print("  ".join(v.ljust(w) for v, w in zip(t, widths, strict=True)))
    return 0


# ----- lowbit sim -----------------------------------------------------------------------------

def format_table(results: list[RunResult]) -> str:
    """The summary table printed after a run."""
    head = ("unit", "format", "vectors", "mismatches", "cycles", "build s", "sim s", "vectors/s")
    rows = [(r.request.unit, r.request.tag, str(r.vectors), str(r.mismatches), str(r.cycles),
             f"{r.build_seconds:.1f}" + (" (cached)" if r.cached else ""),
             f"{r.sim_seconds:.2f}", f"{r.vectors_per_s:,.0f}") for r in results]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    out = [line, "-" * len(line)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


_RUN_FLAGS = ("format", "unit", "format_b", "seed", "vectors", "lanes", "array", "mutation",
              "level", "stimulus")


def _request(args: argparse.Namespace) -> RunRequest:
    if args.request is not None:
        given = [f"--{k.replace('_', '-')}" for k in _RUN_FLAGS if getattr(args, k) is not None]
        if given or args.waves:
            raise UsageError(f"--request replays a run exactly; do not combine it with "
                             f"{', '.join(given or ['--waves'])}")
        try:
            return RunRequest.from_json(args.request.read_text())
        except OSError as exc:
            raise UsageError(f"cannot read request file {args.request}: "
                             f"{exc.strerror}") from None
        except (TypeError, ValueError) as exc:
            raise UsageError(f"bad request file {args.request}: {exc}") from None
    if args.format is None:
        raise UsageError("lowbit sim needs --format (or --request FILE); `lowbit units` lists "
                         "the formats")
    seed = secrets.randbelow(1 << 31) if args.seed is None else args.seed
    return RunRequest(unit=args.unit or "", format=args.format, format_b=args.format_b,
                      seed=seed, vectors=args.vectors, lanes=args.lanes, array=args.array,
                      mutation=args.mutation, waves=args.waves, level=args.level or "rtl",
                      stimulus=args.stimulus, progress=args.progress)


def _sim(args: argparse.Namespace) -> int:
    from sim.run import run

    res = run(_request(args), out=args.out, quiet=args.json)
    if args.json:
        print(json.dumps(res.to_dict(), indent=1))
        return 0 if res.passed else 1
    print()
    print(format_table([res]))
    for line in res.reports:
        print(line)
    if res.predicted_cycles is not None:
        print(f"cycles measured {res.cycles}, predicted by the cycle model "
              f"{res.predicted_cycles}" + ("" if res.utilization is None
                                            else f", utilization {100 * res.utilization:.1f}%"))
    print(f"seed: {res.request.seed}   replay: {res.replay}")
    print(f"request: {res.request_file}" + ("" if res.passed else
                                            f"   (replay: lowbit sim --request "
                                            f"{res.request_file})"))
    print(f"JUnit XML: {res.junit}")
    if res.waves:
        print(f"waveform (FST): {res.waves}")
    print("PASS" if res.passed else "FAIL")
    return 0 if res.passed else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("cost", "sweep"):
        from models.cost_cli import run

        return run(args)
    try:
        return {"units": _print_units, "synth": _synth, "sim": _sim,
                "calibrate": _calibrate}[args.command](args)
    except UsageError as exc:
        print(f"lowbit: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
