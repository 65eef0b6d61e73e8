"""The shipped PE cost table (models/data/pe_costs.json): complete, and priced exactly as
:mod:`models.cost` prices a measurement.

That the table still equals a fresh gate-level measurement is checked where that
measurement is made anyway: ``tests/test_synth.py::test_cli_json`` (the int4 MAC); it fails
when the hardware, the testbenches or the toggle counting change without the table being
re-measured (``python -m models.pe_costs``, ``make pe-costs``).
"""

from __future__ import annotations

import pytest

from models.activity import Activity
from models.energy import energy_per_op, load_technology
from models.pe_costs import _jobs, _rows, pe_cost


def test_table_holds_every_pe() -> None:
    want = {(engine, fmt) for engine, _, fmt in _jobs()}
    assert set(_rows()) == want


@pytest.mark.parametrize(("engine", "fmt"), [("array", "int8"), ("array", "mxfp4"),
                                             ("array", "posit8"), ("lut", "int4")])
def test_priced_like_a_unit_cost(engine: str, fmt: str) -> None:
    tech = load_technology()
    row = _rows()[(engine, fmt)]
    act = Activity(row["toggles_by_cell"], row["cycles"], nets=0, unmatched=0)
    e = energy_per_op(act, row["flip_flop_bits"], row["transistors"], row["ops"], tech)
    p = pe_cost(engine, fmt, tech)
    pes = row["pes"]
    assert p.datapath_pj_per_mac == pytest.approx(e.datapath_pj, rel=1e-12)
    assert p.registers_pj_per_mac == pytest.approx(e.registers_pj, rel=1e-12)
    # clock and leakage are per PE and cycle: the run's share of one PE
    per_op = row["cycles"] / row["ops"] * pes
    assert p.clock_pj_per_cycle * per_op == pytest.approx(e.clock_pj, rel=1e-12)
    assert p.leakage_pj_per_cycle * per_op == pytest.approx(e.leakage_pj, rel=1e-12)
    assert p.area_um2 == pytest.approx(row["transistors"] / pes / tech.transistors_per_um2)


def test_lut_cells_share_the_core() -> None:
    tech = load_technology()
    row = _rows()[("lut", "int4")]
    p = pe_cost("lut", "int4", tech)
    assert row["pes"] == 16 and p.transistors == row["transistors"] / 16
    assert p.macs_per_cycle == 4 / 4  # g = 4 weights per lookup, 4 bit-planes
    assert pe_cost("lut", "bin1", tech).macs_per_cycle == 4.0
