"""Every registered unit through Verilator + cocotb, every output bit-exact against golden.

The runs come from the unit registry (:mod:`sim.builtin_units`, each unit's ``cases``):
``make test`` runs the cases marked ``quick`` (a few formats, small lane counts, MACs over
every code pair where cheap); ``LOWBIT_REGRESS=1`` (``make regress``) runs all of them:
every element format's MAC over all code pairs, every MX format and NVFP4 at full lanes with
>= 10,000 random blocks plus the corner blocks, mixed pairs, posit MACs, codecs and
rounding, fp32 add/mul with 100,000 vectors, the PE array for element and block formats,
the LUT core and its baseline for every weight format, and every mutation each unit
declares. A mutation case must report mismatches (the testbench can fail) with the replay
command. ``LOWBIT_SEED`` overrides the fixed seed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from golden.formats import get_format
from sim.run import run
from sim.units import Case, units
from verif.vectors import EXHAUSTIVE_LIMIT, valid_codes

REGRESS = os.environ.get("LOWBIT_REGRESS", "") not in ("", "0")
SEED = int(os.environ.get("LOWBIT_SEED", "20261123"))

CASES = [(u.name, c) for u in units() for c in u.cases if REGRESS or c.quick]


def _space(fmt: str, fmt_b: str | None) -> int:
    """Size of a MAC's (a, b) input space, counted from the formats' codes."""
    fa = get_format(fmt)
    fb = get_format(fmt_b) if fmt_b else fa
    if fa.kind == "posit":
        return fa.n_codes * fb.n_codes  # NaR included
    return len(valid_codes(fa)) * len(valid_codes(fb))


@pytest.mark.rtl
@pytest.mark.parametrize(("unit", "case"), CASES, ids=[f"{u}-{c.id}" for u, c in CASES])
def test_unit_against_golden(unit: str, case: Case, tmp_path: Path) -> None:
    res = run(case.request(unit, SEED), out=tmp_path)
    detail = "\n".join(res.reports) + f"\nseed {SEED}; replay: {res.replay}"
    assert res.vectors > 0, detail
    if case.mutation:
        assert res.mismatches > 0, (f"mutation {case.mutation!r} of {unit}/{case.format} went "
                                    f"unnoticed over {res.vectors} vectors (seed {SEED})")
        assert res.reports and f"--mutation {case.mutation}" in res.reports[0], res.reports[:1]
        assert "expected" in res.reports[0] and "got" in res.reports[0]
        return
    assert res.mismatches == 0, f"{res.mismatches} mismatches of {res.vectors}:\n{detail}"
    if unit == "mac" and case.vectors is None:
        space = _space(case.format, case.format_b)
        if space <= EXHAUSTIVE_LIMIT:  # every pair of codes, each once
            assert res.vectors == space, detail
    elif case.vectors is not None and unit in ("add", "mul"):
        assert res.vectors == case.vectors, detail
    if res.predicted_cycles is None:
        # one output per input, in order, exactly `latency` cycles after it
        assert res.cycles == res.vectors + res.latency, (res.cycles, res.vectors, res.latency)
    else:
        assert res.cycles == res.predicted_cycles, (res.cycles, res.predicted_cycles)
        assert res.utilization is not None and 0 < res.utilization <= 1


def test_regress_breaks_every_declared_mutation() -> None:
    """`make regress` runs every mutation every unit declares, for each distinct set of
    mutations its formats take (so "every mutation" is true as written)."""
    for u in units():
        broken = {(c.mutation, u.mutations(get_format(c.format))) for c in u.cases
                  if c.mutation}
        for f in u.formats():
            declared = u.mutations(get_format(f))
            for m in declared:
                assert (m, declared) in broken, (f"unit {u.name}: no regress case breaks "
                                                 f"{m!r} among formats like {f}")


def test_regress_simulates_every_pe_netlist() -> None:
    """Every PE format (each format's scalar MAC and block dot unit: what ``lowbit synth
    --all`` costs) has a gate-level case in ``make regress``: its synthesized netlist is
    scored against golden."""
    from models.cost_report import pe_jobs

    gate = {(u.name, c.format) for u in units() for c in u.cases
            if c.level == "gate" and c.format_b is None and c.mutation is None}
    missing = [f"{u} {f}" for u, f, *_ in pe_jobs() if (u, f) not in gate]
    assert not missing, f"PEs without a gate-level regress case: {', '.join(missing)}"
