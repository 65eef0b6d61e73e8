"""Run a lowbit unit through Verilator + cocotb and score it against golden.

:func:`run_unit` is what ``lowbit sim`` calls: it picks the hardware unit for a format,
builds it (cached, :mod:`sim.build`), runs the unit's cocotb test module
(``verif/tb_*.py``) with the run's parameters in environment variables, and reads back the
small JSON result the testbench writes. :func:`simulate` is the generic step underneath,
usable with any stream component (the flow's own tests use a tiny registered adder).

Units per format (``--unit``; the default is the first):

- element formats of <= 8 bits (fp4/fp6/fp8, int8/int4/int2, ternary, bin1): ``mac``,
  ``array`` (a GEMM through the systolic PE array, cycles checked against the model); the
  LUT tensor core's weight formats (bin1, ternary, int2, int4, int8, fp4_e2m1, fp6) also
  ``lut`` and ``lut_mac`` (its MAC baseline), one GEMM with int8 activations
- OCP MX and NVFP4 block formats: ``dot``, ``array``
- posits of <= 16 bits (posit8, posit16, posit4_es1, posit8_es0, posit16_es1): ``mac``
  (the quire MAC behind the ScalarMac interface), ``codec`` (decode -> encode), ``round``
  (posit<n+2,es> -> posit<n,es> rounding)
- ``fp32``: ``add``, ``mul``

Default vector counts: the MAC runs every (a, b) code pair (65,536 for 8-bit formats); the
dot units run all directed corner blocks plus ``verif.jobs.DEFAULT_DOT_BLOCKS`` (3,000) random
blocks; the fp32 units ``verif.jobs.DEFAULT_FP32_VECTORS`` (4,096; corners x corners first).
"""

from __future__ import annotations

import json
import os
import pickle
import secrets
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from golden.formats import FormatSpec, format_names, get_format
from sim.build import BuildResult, build

__all__ = [
    "SimResult",
    "UsageError",
    "results_root",
    "run_unit",
    "sim_formats",
    "simulate",
    "units_for",
]

_REPO = Path(__file__).resolve().parent.parent


class UsageError(ValueError):
    """A bad format / unit / parameter; its message is one line listing what is valid."""


@dataclass
class SimResult:
    """Outcome of one simulation run (also what ``lowbit sim`` prints)."""

    unit: str
    format: str
    vectors: int
    mismatches: int
    cycles: int
    build_seconds: float
    sim_seconds: float
    cached: bool
    seed: int
    latency: int
    replay: str
    junit: str
    waves: str | None = None
    reports: list[str] = field(default_factory=list)
    predicted_cycles: int | None = None
    """Cycles the analytic model predicts (GEMM engines: ``array``, ``lut``, ``lut_mac``)."""
    utilization: float | None = None
    """Useful MACs / (cycles x peak MACs per cycle) of a GEMM engine run."""

    @property
    def vectors_per_s(self) -> float:
        return self.vectors / self.sim_seconds if self.sim_seconds > 0 else 0.0

    @property
    def passed(self) -> bool:
        return self.mismatches == 0 and self.vectors > 0

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["vectors_per_s"] = round(self.vectors_per_s, 1)
        return d


def results_root() -> Path:
    """``$LOWBIT_RESULTS`` if set, else ``results/`` in the repository (gitignored)."""
    env = os.environ.get("LOWBIT_RESULTS")
    return Path(env).resolve() if env else _REPO / "results"


def sim_formats() -> list[str]:
    """Every format ``lowbit sim`` accepts."""
    names = [*format_names(), *SIM_POSITS]
    return [n for n in names if units_for(get_format(n))]


SIM_POSITS = ("posit4_es1", "posit8_es0", "posit16_es1")
"""Posits beyond the registry's posit8/16/32 that ``lowbit sim`` lists (XR-NPE's formats)."""


def units_for(spec: FormatSpec) -> list[str]:
    """Units that can simulate ``spec`` (first = default); empty when none can."""
    if spec.is_block:
        return ["dot", "array"]
    if spec.kind == "float" and (spec.exp_bits, spec.man_bits) == (8, 23):
        return ["add", "mul"]
    if spec.kind == "posit" and spec.bits <= 16:
        from verif.posit_jobs import POSIT_UNITS
        return list(POSIT_UNITS)
    if spec.kind in ("float", "int", "bin1") and spec.bits <= 8 and spec.signed:
        return ["mac", "array", *(["lut", "lut_mac"] if _lut_weight(spec) else [])]
    return []


def _lut_weight(spec: FormatSpec) -> bool:
    """True when the LUT tensor core takes ``spec`` as its weight format."""
    from hw.lut.weights import weight_int

    try:
        weight_int(spec)
    except ValueError:
        return False
    return True


def default_array(spec: FormatSpec) -> tuple[int, int]:
    """Array shape of ``--unit array`` unless ``$LOWBIT_ARRAY`` (``RxC``) says otherwise:
    4 x 4 PEs for element formats, 2 x 2 for block formats (each PE a full block unit)."""
    text = os.environ.get("LOWBIT_ARRAY", "")
    if text:
        try:
            r, c = (int(v) for v in text.lower().split("x"))
        except ValueError:
            raise UsageError(f"LOWBIT_ARRAY must look like 4x4, not {text!r}") from None
        return r, c
    return (2, 2) if spec.is_block else (4, 4)


def _component(unit: str, spec: FormatSpec, spec_b: FormatSpec | None, lanes: int | None,
               mutation: str | None) -> tuple[object, str, str]:
    """(component, Verilog toplevel name, cocotb test module) for a unit and format."""
    kw: dict[str, object] = {} if mutation is None else {"mutation": mutation}
    tag = spec.name if spec_b is None or spec_b == spec else f"{spec.name}_x_{spec_b.name}"
    suffix = f"_l{lanes}" if lanes else ""
    suffix += f"_m{mutation}" if mutation else ""
    if spec.kind == "posit":
        if unit == "mac":  # the same PE interface as every other element format
            from hw.fp.mac import ScalarMac
            return ScalarMac(fmt_a=spec, **kw), f"mac_{tag}{suffix}", "verif.tb_posit"
        from verif.posit_jobs import posit_unit
        comp, top = posit_unit(unit, spec, mutation)
        return comp, top, "verif.tb_posit"
    if unit == "add":
        from hw.fp.fp32_add import Fp32Add
        return Fp32Add(**kw), f"fp32_add{suffix}", "verif.tb_fp32"
    if unit == "mul":
        from hw.fp.fp32_mul import Fp32Mul
        return Fp32Mul(**kw), f"fp32_mul{suffix}", "verif.tb_fp32"
    if unit == "mac":
        from hw.fp.mac import ScalarMac
        return (ScalarMac(fmt_a=spec, fmt_b=spec_b, **kw), f"mac_{tag}{suffix}",
                "verif.tb_mac")
    if unit in ("array", "lut", "lut_mac") and mutation is not None:
        raise UsageError(f"unit {unit} has no mutations, got {mutation!r}")
    if unit == "array":
        from verif.array_jobs import engine_for
        rows, cols = default_array(spec)
        eng = engine_for(spec, spec_b, lanes, rows=rows, cols=cols)
        return eng, f"gemm_array_{tag}_{rows}x{cols}{suffix}", "verif.tb_array"
    if unit in ("lut", "lut_mac"):
        from hw.lut.baseline import LutMacBaseline
        from hw.lut.core import LutCore
        from verif.lut_jobs import DEFAULT_ARRAY
        if spec_b is not None and spec_b.name != "int8":
            raise UsageError(f"unit {unit} takes int8 activations; --format-b must be int8 "
                             f"or omitted, not {spec_b.name!r}")
        cls = LutCore if unit == "lut" else LutMacBaseline
        return cls(fmt_w=spec, **DEFAULT_ARRAY), f"{unit}_{spec.name}", "verif.tb_lut"
    if unit == "dot" and spec.tensor_scale:
        from hw.block.nvfp4_dot import Nvfp4Dot
        if lanes:
            kw["lanes"] = lanes
        return Nvfp4Dot(**kw), f"nvfp4_dot{suffix}", "verif.tb_nvfp4_dot"
    if unit == "dot":
        from hw.block.mx_dot import MxDot
        if lanes:
            kw["lanes"] = lanes
        return MxDot(fmt_a=spec, fmt_b=spec_b, **kw), f"mx_dot_{tag}{suffix}", "verif.tb_mx_dot"
    raise UsageError(f"unknown unit {unit!r}")


def replay_command(fmt: str, unit: str, seed: int, vectors: int | None, lanes: int | None,
                   fmt_b: str | None, mutation: str | None) -> str:
    parts = ["lowbit", "sim", "--format", fmt, "--unit", unit, "--seed", str(seed)]
    if vectors is not None:
        parts += ["--vectors", str(vectors)]
    if lanes:
        parts += ["--lanes", str(lanes)]
    if fmt_b:
        parts += ["--format-b", fmt_b]
    if mutation:
        parts += ["--mutation", mutation]
    return shlex.join(parts)


def simulate(component: object, toplevel: str, test_module: str, *, env: dict[str, str],
             waves: bool = False, run_dir: Path | None = None, job: object | None = None,
             built: BuildResult | None = None
             ) -> tuple[dict[str, object], BuildResult, Path, Path | None]:
    """Build ``component`` (cached) and run cocotb ``test_module`` against it.

    ``env`` carries the ``LOWBIT_*`` parameters (see :mod:`verif.tb_common`); ``job``, if
    given, is a precomputed :class:`verif.jobs.Job` passed to the testbench by file.
    Returns (the testbench's JSON result, the build, the JUnit XML path, the FST path or None).
    Raises ``RuntimeError`` if the simulation produced no result (crash).
    """
    from cocotb_tools.runner import get_runner

    from sim.toolchain import apply_verilator_env

    b = built or build(component, toplevel, waves=waves)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = run_dir or results_root() / f"{toplevel}-{stamp}-{os.getpid()}"
    run_dir.mkdir(parents=True, exist_ok=True)
    result_json = run_dir / "result.json"
    result_json.unlink(missing_ok=True)
    junit = run_dir / "results.xml"
    fst = run_dir / "waves.fst" if waves else None
    extra = dict(env)
    extra["LOWBIT_RESULT"] = str(result_json)
    extra["LOWBIT_LATENCY"] = str(getattr(component, "latency", 0))
    if job is not None:
        job_path = run_dir / "job.pkl"
        job_path.write_bytes(pickle.dumps(job))
        extra["LOWBIT_JOB"] = str(job_path)
    apply_verilator_env()
    runner = get_runner("verilator")
    # Under pytest the runner itself sys.exit()s on a failing cocotb test; hide pytest from
    # it so a mismatch comes back as a result (the mutation tests expect mismatches).
    hidden = os.environ.pop("PYTEST_CURRENT_TEST", None)
    # The runner hands sys.path to the simulator's Python as PYTHONPATH: make sure the
    # repository's packages come first there (not a stale editable-install mapping).
    added = str(_REPO) not in sys.path
    if added:
        sys.path.insert(0, str(_REPO))
    try:
        runner.test(test_module=test_module, hdl_toplevel=toplevel, build_dir=b.build_dir,
                    test_dir=run_dir, results_xml=str(junit), extra_env=extra, waves=waves,
                    hdl_toplevel_lang="verilog",
                    test_args=["--trace-file", str(fst)] if fst else [])
    finally:
        if added:
            sys.path.remove(str(_REPO))
        if hidden is not None:
            os.environ["PYTEST_CURRENT_TEST"] = hidden
    if not result_json.is_file():
        raise RuntimeError(f"simulation of {toplevel} wrote no result ({result_json}); "
                           f"see the log above and {junit}")
    return json.loads(result_json.read_text()), b, junit, fst


def run_unit(fmt: str, unit: str | None = None, *, vectors: int | None = None,
             seed: int | None = None, lanes: int | None = None, waves: bool = False,
             fmt_b: str | None = None, mutation: str | None = None,
             progress_every: int = 0) -> SimResult:
    """Simulate the unit for ``fmt`` and score every output against golden.

    ``unit`` defaults to the format's first unit (:func:`units_for`); ``vectors`` to the
    unit's default; ``seed`` to a fresh random seed (printed in the result and in the replay
    command); ``lanes`` to the unit's own default. Raises :class:`UsageError` for an unknown
    format or unit, with one line listing the valid ones.
    """
    valid = sim_formats()
    if fmt not in valid:
        raise UsageError(f"unknown format {fmt!r}; valid formats: {', '.join(valid)}")
    spec = get_format(fmt)
    allowed = units_for(spec)
    unit = unit or allowed[0]
    if unit not in allowed:
        raise UsageError(f"unit {unit!r} cannot run format {fmt!r}; valid units for it: "
                         f"{', '.join(allowed)}")
    spec_b = None
    if fmt_b is not None:
        if fmt_b not in valid or units_for(get_format(fmt_b)) != allowed:
            ok = [n for n in valid if units_for(get_format(n)) == allowed]
            raise UsageError(f"format_b {fmt_b!r} cannot pair with {fmt!r}; valid: {', '.join(ok)}")
        spec_b = get_format(fmt_b)
    if vectors is not None and vectors < 1:
        raise UsageError(f"vectors must be a positive integer, not {vectors}")
    lane_units = ("dot", "array") if spec.is_block else ()
    if lanes is not None and (unit not in lane_units or not 1 <= lanes <= spec.block_size):
        raise UsageError(f"lanes must be in 1..{spec.block_size} for unit {unit}, not {lanes}"
                         if unit in lane_units else
                         f"lanes applies to block formats' dot and array units only, not {unit}")
    seed = secrets.randbelow(1 << 31) if seed is None else int(seed)
    try:
        component, toplevel, module = _component(unit, spec, spec_b, lanes, mutation)
    except ValueError as exc:  # the unit's own parameter check (e.g. an unknown mutation)
        raise UsageError(str(exc).splitlines()[0]) from exc
    replay = replay_command(fmt, unit, seed, vectors, lanes, fmt_b, mutation)
    eff_lanes = lanes or getattr(component, "lanes", 0)
    env = {"LOWBIT_UNIT": unit, "LOWBIT_FORMAT": fmt, "LOWBIT_FORMAT_B": fmt_b or "",
           "LOWBIT_VECTORS": "" if vectors is None else str(vectors),
           "LOWBIT_SEED": str(seed), "LOWBIT_LANES": str(eff_lanes), "LOWBIT_REPLAY": replay,
           "LOWBIT_PROGRESS": str(progress_every)}
    if unit == "array":
        env["LOWBIT_ARRAY"] = "{}x{}".format(*default_array(spec))
    res, b, junit, fst = simulate(component, toplevel, module, env=env, waves=waves)
    return SimResult(unit=unit, format=fmt if not fmt_b else f"{fmt} x {fmt_b}",
                     vectors=int(res["vectors"]), mismatches=int(res["mismatches"]),
                     cycles=int(res["cycles"]), build_seconds=round(b.seconds, 2),
                     sim_seconds=float(res["sim_seconds"]), cached=b.cached, seed=seed,
                     latency=int(getattr(component, "latency", 0)),
                     replay=replay, junit=str(junit), waves=str(fst) if fst else None,
                     reports=list(res["reports"]),
                     predicted_cycles=res.get("predicted_cycles"),
                     utilization=res.get("utilization"))
