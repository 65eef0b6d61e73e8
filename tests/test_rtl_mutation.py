"""Mutation check: deliberately broken hardware must make the testbenches report mismatches.

Each hardware unit that rounds takes ``mutation=`` naming a bug (``truncate``: RNE replaced
by truncation; ``drop_sticky``: the sticky bit ignored; ``scale_bias``: the MX scale bias
off by one; ``ignore_first``: the MAC never restarts its accumulation). The same vectors
that pass on the correct design must fail here, with the replay command in the report.
``make test`` runs a few; ``LOWBIT_REGRESS=1`` runs every (unit, mutation) pair listed.
"""

from __future__ import annotations

import os

import pytest

from sim.run import run_unit

REGRESS = os.environ.get("LOWBIT_REGRESS", "") not in ("", "0")
SEED = int(os.environ.get("LOWBIT_SEED", "7"))

# (format, unit, mutation, vectors, lanes)
QUICK = [
    ("fp32", "add", "truncate", 4000, None),
    ("mxfp4", "dot", "scale_bias", 300, 4),
]
FULL = [
    *QUICK,
    ("fp32", "add", "drop_sticky", 20000, None),
    ("fp32", "mul", "truncate", 4000, None),
    ("fp8_e4m3", "mac", "truncate", None, None),
    ("int8", "mac", "ignore_first", None, None),
    ("mxfp8_e4m3", "dot", "drop_sticky", 3000, None),
    ("nvfp4", "dot", "truncate", 3000, None),
    ("posit8", "mac", "truncate", None, None),
    ("posit4_es1", "mac", "regime", None, None),
]


@pytest.mark.rtl
@pytest.mark.parametrize("case", FULL if REGRESS else QUICK,
                         ids=lambda c: f"{c[1]}-{c[0]}-{c[2]}")
def test_mutation_is_caught(case: tuple) -> None:
    fmt, unit, mutation, vectors, lanes = case
    res = run_unit(fmt, unit, vectors=vectors, seed=SEED, lanes=lanes, mutation=mutation)
    assert res.vectors > 0
    assert res.mismatches > 0, (f"mutation {mutation!r} of {unit}/{fmt} went unnoticed over "
                                f"{res.vectors} vectors (seed {res.seed})")
    assert res.reports and f"--mutation {mutation}" in res.reports[0], res.reports[:1]
    assert "expected" in res.reports[0] and "got" in res.reports[0]
