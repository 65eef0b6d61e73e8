"""Run one :class:`~sim.protocol.RunRequest` through Verilator + cocotb and score it.

:func:`run` is what ``lowbit sim`` calls: it resolves the request against the unit registry
(:mod:`sim.units`: the unit, its defaults, one-line errors), writes the request file into
the run directory ``<results>/<request key>/``, precomputes the vectors and golden results
of a stream unit into ``job.npz``, builds the design (cached, :mod:`sim.build`; with
``level="gate"`` its synthesized netlist, :mod:`models.synth`), runs the
unit's cocotb module, and returns the :class:`~sim.protocol.RunResult` the testbench wrote.
:func:`simulate` is the step underneath: one built design, one cocotb module, one run
directory.

A run leaves no process-wide state changed: the environment variables the cocotb runner
needs are passed to it, not set, and the two it reads from ``os.environ`` and ``sys.path``
are restored before :func:`simulate` returns.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sim.build import BuildResult, build
from sim.paths import results_root
from sim.protocol import REQUEST_ENV, RunRequest, RunResult
from sim.units import UsageError, resolve

__all__ = ["UsageError", "run", "simulate"]

_PKG_PARENT = Path(__file__).resolve().parent.parent
COVERAGE_FILE = "coverage.dat"
"""Toggle counts of every net of a gate-level run, in its run directory (Verilator format)."""


def simulate(built: BuildResult, test_module: str, run_dir: Path, *, waves: bool = False,
             quiet: bool = False, plusargs: Sequence[str] = ()
             ) -> tuple[dict[str, object], Path, Path | None]:
    """Run cocotb ``test_module`` on a built design in ``run_dir`` (holding request.json).

    ``quiet``: the simulator's log goes to ``run_dir/sim.log`` instead of the terminal.
    Returns (the testbench's ``result.json`` as a dict, the JUnit XML path, the FST path or
    None). Raises ``RuntimeError`` if the simulation wrote no result (a crash).
    """
    from cocotb_tools.runner import get_runner

    result_json = run_dir / "result.json"
    result_json.unlink(missing_ok=True)
    junit = run_dir / "results.xml"
    fst = run_dir / "waves.fst" if waves else None
    runner = get_runner("verilator")
    # Under pytest the runner sys.exit()s on a failing cocotb test; hide pytest from it so
    # that a mismatch comes back as a result (the mutation tests expect mismatches).
    hidden = os.environ.pop("PYTEST_CURRENT_TEST", None)
    # The runner hands sys.path to the simulator's Python as PYTHONPATH: the folder holding
    # lowbit's packages comes first there (not a stale editable-install mapping).
    added = str(_PKG_PARENT) not in sys.path
    if added:
        sys.path.insert(0, str(_PKG_PARENT))
    try:
        runner.test(test_module=test_module, hdl_toplevel=built.toplevel,
                    build_dir=built.build_dir, test_dir=run_dir, results_xml=str(junit),
                    extra_env={REQUEST_ENV: str(run_dir / "request.json")}, waves=waves,
                    hdl_toplevel_lang="verilog", log_file=run_dir / "sim.log" if quiet else None,
                    test_args=["--trace-file", str(fst)] if fst else [],
                    plusargs=list(plusargs))
    finally:
        if added:
            sys.path.remove(str(_PKG_PARENT))
        if hidden is not None:
            os.environ["PYTEST_CURRENT_TEST"] = hidden
    if not result_json.is_file():
        raise RuntimeError(f"simulation of {built.toplevel} wrote no result ({result_json}); "
                           f"see the log above and {junit}")
    return json.loads(result_json.read_text()), junit, fst


def run(req: RunRequest, *, out: Path | None = None, quiet: bool = False) -> RunResult:
    """Simulate ``req`` and score every output against golden.

    ``req.unit`` empty: the format's first unit. The run directory is
    ``<out or results_root()>/<resolved request key>``; it is emptied first, so it holds
    this run's files only. Raises :class:`UsageError` (one line naming what is allowed) for
    a request the registry rejects. ``quiet``: the simulator's log goes to the run
    directory's ``sim.log``, not the terminal (for ``--json`` output).
    """
    unit, req = resolve(req)
    try:
        component = unit.component(req)
    except (TypeError, ValueError) as exc:  # the component's own parameter check
        raise UsageError(str(exc).splitlines()[0]) from exc
    rdir = (out or results_root()) / req.key()
    if rdir.exists():
        shutil.rmtree(rdir)
    request_file = req.save(rdir / "request.json")
    golden_s = 0.0
    latency = 0 if unit.engine else int(component.latency)
    if unit.job is not None:
        from verif.jobfile import save_job

        t0 = time.perf_counter()
        job = unit.job(req)
        job.latency = latency
        save_job(job, rdir / "job.npz")
        golden_s = time.perf_counter() - t0
    toplevel = unit.toplevel(req)
    netlist, extra, plusargs, make_vars = None, [], [], []
    if req.level == "gate":  # toggle coverage of every net: the switching activity
        from models.synth import synthesize

        netlist = Path(synthesize(component, toplevel).netlist).read_text()
        extra = ["--coverage-toggle"]
        plusargs = [f"+verilator+coverage+file+{rdir / COVERAGE_FILE}"]
        make_vars = ["OPT_FAST=-O0"]  # a flat netlist: compile time dominates, not run time
    built = build(component, toplevel, waves=req.waves, verilog=netlist, extra_args=extra,
                  make_vars=make_vars)
    res, junit, fst = simulate(built, unit.testbench, rdir, waves=req.waves, quiet=quiet,
                               plusargs=plusargs)
    return RunResult(
        request=req, vectors=int(res["vectors"]), mismatches=int(res["mismatches"]),
        cycles=int(res["cycles"]), latency=latency,
        predicted_cycles=res.get("predicted_cycles"), utilization=res.get("utilization"),
        ops=res.get("ops"),
        outputs_sha256=str(res["outputs_sha256"]), reports=list(res["reports"]),
        build_seconds=round(built.seconds, 2), golden_seconds=round(golden_s, 3),
        sim_seconds=float(res["sim_seconds"]), cached=built.cached, run_dir=str(rdir),
        request_file=str(request_file), junit=str(junit), waves=str(fst) if fst else None)
