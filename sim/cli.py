"""``lowbit sim``: simulate a unit for a format against golden (argument parsing only).

Usage: ``lowbit sim --format F [--unit U] [--seed S] [--vectors N] [--lanes L] [--waves]``
(also ``python -m sim sim ...``). Exit status 0 when every output matched golden, 1 on
any mismatch, 2 for bad arguments (one line naming the valid choices).
"""

from __future__ import annotations

import argparse
import sys

from sim.run import SimResult, UsageError, run_unit

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        print(f"lowbit: {message}", file=sys.stderr)
        sys.exit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="lowbit", description="lowbit tools")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    s = sub.add_parser("sim", help="simulate a unit with Verilator + cocotb against golden")
    s.add_argument("--format", required=True, help="format name, e.g. mxfp4, fp8_e4m3, fp32")
    s.add_argument("--unit", help="mac/array/lut/lut_mac (element formats), dot/array (MX, "
                   "nvfp4), mac/codec/round (posits), add/mul (fp32)")
    s.add_argument("--format-b", help="second operand format for mixed pairs")
    s.add_argument("--seed", type=int, help="random seed (default: a fresh one, printed)")
    s.add_argument("--vectors", type=int, help="vector count (default: per unit)")
    s.add_argument("--lanes", type=int, help="lanes of a dot unit (default: the block size)")
    s.add_argument("--mutation", help="build a deliberately broken variant (mutation tests)")
    s.add_argument("--waves", action="store_true", help="write an FST waveform")
    s.add_argument("--progress", type=int, default=10000, metavar="N",
                   help="log a progress line every N vectors (0: off)")
    return p


def format_table(results: list[SimResult]) -> str:
    """The summary table printed after a run."""
    head = ("unit", "format", "vectors", "mismatches", "cycles", "build s", "sim s", "vectors/s")
    rows = [(r.unit, r.format, str(r.vectors), str(r.mismatches), str(r.cycles),
             f"{r.build_seconds:.1f}" + (" (cached)" if r.cached else ""),
             f"{r.sim_seconds:.2f}", f"{r.vectors_per_s:,.0f}") for r in results]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    out = [line, "-" * len(line)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        res = run_unit(args.format, args.unit, vectors=args.vectors, seed=args.seed,
                       lanes=args.lanes, waves=args.waves, fmt_b=args.format_b,
                       mutation=args.mutation, progress_every=args.progress)
    except UsageError as exc:
        print(f"lowbit: {exc}", file=sys.stderr)
        return 2
    print()
    print(format_table([res]))
    for line in res.reports:
        print(line)
    if res.predicted_cycles is not None:
        print(f"cycles measured {res.cycles}, predicted by the cycle model "
              f"{res.predicted_cycles}" + ("" if res.utilization is None
                                            else f", utilization {100 * res.utilization:.1f}%"))
    print(f"seed: {res.seed}   replay: {res.replay}")
    print(f"JUnit XML: {res.junit}")
    if res.waves:
        print(f"waveform (FST): {res.waves}")
    print("PASS" if res.passed else "FAIL")
    return 0 if res.passed else 1


if __name__ == "__main__":
    sys.exit(main())
