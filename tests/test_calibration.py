"""The default technology file's calibration against Horowitz (models/calibrate.py).

``make test`` fits ``toggle_fj`` again on the two fit operations (gate-level runs of the
int8 and fp32 multipliers) and fails if it drifts from the value in the file by more than
2%: a change to a netlist, the stimulus or the toggle counting shows here. ``make regress``
also measures every reference operation and checks each within 2x of Horowitz.
"""

from __future__ import annotations

import math
import os

import pytest

from models.calibrate import FIT, HOROWITZ_45NM, STIMULUS, fit
from models.cost import unit_cost
from models.energy import load_technology

REGRESS = os.environ.get("LOWBIT_REGRESS", "") not in ("", "0")
CHECKED = [r for r in HOROWITZ_45NM if r.energy_pj is not None and (REGRESS or r.name in FIT)]


@pytest.mark.rtl
def test_fit_reproduces_the_files_toggle_energy() -> None:
    tech = load_technology()
    refit = fit(tech)
    assert math.isclose(refit.toggle_fj, tech.toggle_fj, rel_tol=0.02), (
        f"toggle_fj fitted again on {FIT} is {refit.toggle_fj:.4f}, the file says "
        f"{tech.toggle_fj:.4f}: run `lowbit calibrate --fit`, update models/data/"
        "generic45.toml and the table in docs/costs.md")


@pytest.mark.rtl
@pytest.mark.parametrize("ref", CHECKED, ids=[r.name for r in CHECKED])
def test_reference_operation_within_2x(ref) -> None:
    c = unit_cost(ref.unit, ref.format, stimulus=STIMULUS)
    ratio = c.energy_pj / ref.energy_pj
    assert 0.5 <= ratio <= 2.0, (f"{ref.name} ({ref.unit} {ref.format}): {c.energy_pj:.3f} pJ "
                                 f"against Horowitz {ref.energy_pj} pJ, ratio {ratio:.2f}")
