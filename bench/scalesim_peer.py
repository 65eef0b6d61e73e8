"""Peer benchmark: SCALE-Sim's output-stationary cycle counts against lowbit's array model.

SCALE-Sim (PyPI ``scalesim``, ARM / Georgia Tech) is run as shipped, on GEMMs, in a venv of
its own (it needs ``numpy<2``; lowbit's venv has NumPy 2): :func:`ensure_venv` builds it
once under the lowbit cache (:func:`sim.paths.cache_root`), :func:`scalesim_cycles` runs it
on a list of ``(name, M, K, N)`` GEMMs and :func:`compare` sets its cycles beside lowbit's
:func:`models.cycle_array.array_cycle_model` (int8 PEs: ``L = 2``, ``lanes = 1``).

How the runs are set up (SCALE-Sim |version|, read from its source and checked on its output):

- GEMM topology (``-i gemm`` / ``input_type_gemm=True``): a header line, then one
  ``name, M, N, K,`` line per layer; note the order **M, N, K** and the **trailing comma**
  (SCALE-Sim drops the last comma-separated field of each line, so without it K is lost).
  It becomes a 1 x 1 "convolution" of an ``M x K`` ifmap by ``N`` filters of ``K`` taps, so
  for ``os`` the spatial rows ``Sr = M`` (ofmap pixels) map to the array's rows and the
  spatial columns ``Sc = N`` (filters) to its columns, ``T = K`` in time: the same mapping
  as lowbit's engine (M to rows, N to columns), checked on non-square arrays.
- ``InterfaceBandwidth = CALC`` (estimate-bandwidth mode: reads never stall, the DRAM
  bandwidth is what the run *needs*), SRAMs of :data:`SRAM_KB` KiB each (the compute
  cycles do not depend on the SRAM sizes in this mode; large ones make SCALE-Sim faster).
  The cycles used are the COMPUTE_REPORT's ``Total Cycles`` column (stall-free compute
  cycles), not ``Total Cycles (incl. prefetch)``, which adds the estimated DRAM prefetch
  before the first compute cycle and grows with the SRAM sizes.
- SCALE-Sim's ``scale.py`` CLI always writes full SRAM / DRAM traces (its ``-s N`` is
  ignored) and needs a layout file (``-l``); so a small driver calls its Python API
  (``scalesim(save_disk_space=True, verbose=False, ...)``) with a header-only layout file.

The measured output-stationary formula (every fold is issued after the previous one
drained; no overlap between folds): ``cycles = T * (K + R + C - 2) - 1`` with
``T = ceil(M / R) * ceil(N / C)`` (:func:`scalesim_os_formula`), exact also when M, N are
not multiples of R, C (partial folds take a full fold's time). lowbit's engine overlaps a
tile's drain with the next tile's steps: ``(T - 1) * max(K, 2R + C - 2) + K + 2R + C + L``.

SCALE-Sim simulates its memory system line by line in Python (~65 us CPU per array cycle), so
a ResNet-50 on 16 x 16 (7.5 M array cycles of distinct shapes) takes ~490 CPU s: identical
shapes are run once, distinct ones in parallel processes (``jobs``), and results are kept in
``<cache>/scalesim/results.json`` keyed by SCALE-Sim version, configuration and shape
(``cache=False`` re-runs every shape and refreshes its entry).

Usage: ``python bench/scalesim_peer.py [--array 16x16] [--resnet50] [--json] [--jobs N]
[--no-cache]``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import fcntl
import hashlib
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SCALESIM_VERSION = "3.0.0"
"""The SCALE-Sim release these runs are pinned to (its config keys and reports vary)."""
REQUIREMENTS = (f"scalesim=={SCALESIM_VERSION}", "numpy<2")
"""What :func:`ensure_venv` installs with pip (``scalesim`` 3.0.0 breaks with NumPy 2)."""
VENV_NAME = "scalesim-venv"
"""Folder of the venv under the lowbit cache."""
STAMP = "lowbit-scalesim.json"
"""Stamp file in the venv: the requirements installed and the version found."""
SRAM_KB = 65536
"""Each of SCALE-Sim's ifmap / filter / ofmap SRAMs, in KiB."""
DATAFLOWS = ("os", "ws", "is")
"""SCALE-Sim's dataflows (lowbit's RTL array is ``os`` only)."""
TAIL_LINES = 20
"""Lines of SCALE-Sim's output quoted in a failure's RuntimeError."""

__doc__ = __doc__.replace("|version|", SCALESIM_VERSION)

_DRIVER = """\
import sys
from importlib.metadata import version
from scalesim.scale_sim import scalesim

cfg, topo, layout, out, stamp = sys.argv[1:6]
sim = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo,
               layout=layout, input_type_gemm=True)
sim.run_scale(top_path=out)
with open(stamp, "w") as f:
    f.write(version("scalesim"))
"""
"""Runs SCALE-Sim through its API in its venv (args: config, topology, layout, out dir,
file to write the installed version to)."""

_CONFIG = """\
[general]
run_name = lowbit

[run_presets]
InterfaceBandwidth = CALC
UseRamulatorTrace = False

[architecture_presets]
ArrayHeight = {rows}
ArrayWidth = {cols}
ifmapsramszkB = {sram}
filtersramszkB = {sram}
ofmapsramszkB = {sram}
IfmapOffset = 0
FilterOffset = 10000000
OfmapOffset = 20000000
Dataflow = {dataflow}
ReadRequestBuffer = 32
WriteRequestBuffer = 32

[layout]
IfmapCustomLayout = False
FilterCustomLayout = False
IfmapSRAMBankBandwidth = 10
IfmapSRAMBankNum = 10
IfmapSRAMBankPort = 2
FilterSRAMBankBandwidth = 10
FilterSRAMBankNum = 10
FilterSRAMBankPort = 2

[sparsity]
SparsitySupport = false
"""
"""SCALE-Sim 3.0.0 config: every key it reads is required (no ``[network_presets]``
section: 3.0.0 reads its ``TopologyCsvLoc`` from the wrong section and fails)."""

Gemm = tuple[str, int, int, int]
"""``(name, M, K, N)``: C[M, N] = A[M, K] x B[K, N]."""


@dataclass(frozen=True)
class ScaleSimLayer:
    """One GEMM's row of SCALE-Sim's COMPUTE_REPORT.csv."""

    name: str
    M: int
    K: int
    N: int
    cycles: int
    """``Total Cycles``: compute cycles (stall-free in CALC mode)."""
    stall_cycles: int
    cycles_with_prefetch: int
    """``Total Cycles (incl. prefetch)``: plus the estimated DRAM prefetch (SRAM-size bound)."""
    overall_util: float
    """``Overall Util %``: ``M K N / (cycles R C)``, in percent."""
    mapping_efficiency: float
    """``Mapping Efficiency %``: mean over folds of the PEs mapped, in percent."""
    compute_util: float
    """``Compute Util %``: mean over folds of the PEs' busy fraction, in percent."""
    sim_s: float
    """Wall time of the SCALE-Sim process that simulated this shape, in seconds."""
    cached: bool
    """True when the row came from the result cache (no SCALE-Sim run in this call)."""


@dataclass(frozen=True)
class ScaleSimResult:
    """SCALE-Sim's results for a list of GEMMs on one array."""

    layers: tuple[ScaleSimLayer, ...]
    rows: int
    cols: int
    dataflow: str
    wall_s: float
    """Wall time of :func:`scalesim_cycles` (after :func:`ensure_venv`), in seconds."""
    version: str
    simulated: int
    """Distinct shapes that SCALE-Sim was run on in this call (the others: cache, repeats)."""
    cpu_s: float
    """CPU seconds (user + system) of this call's SCALE-Sim processes: unlike ``wall_s``,
    not inflated when other jobs share the cores."""

    def cycles(self) -> dict[str, int]:
        """Per-layer compute cycles by name."""
        return {la.name: la.cycles for la in self.layers}


# ----- venv -----------------------------------------------------------------------------------

def _default_venv() -> Path:
    from sim.paths import cache_root

    return cache_root() / VENV_NAME


def _venv_python(path: Path) -> Path:
    return path / "bin" / "python"


@contextlib.contextmanager
def _locked(lock: Path) -> Iterator[None]:
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _read_stamp(path: Path) -> dict[str, Any] | None:
    try:
        stamp = json.loads((path / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = (isinstance(stamp, dict) and stamp.get("requirements") == list(REQUIREMENTS)
          and _venv_python(path).exists())
    return stamp if ok else None


def _tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def ensure_venv(path: Path | None = None) -> Path:
    """The python of a venv with SCALE-Sim (:data:`REQUIREMENTS`), built once.

    ``path`` defaults to ``<cache>/scalesim-venv``. A stamp file records what was installed,
    so later calls return at once; a missing or different stamp rebuilds the venv (one
    progress line on stderr). Raises RuntimeError (with pip's output tail) on failure.
    """
    path = Path(path) if path is not None else _default_venv()
    if _read_stamp(path) is not None:
        return _venv_python(path)
    with _locked(path.with_name(path.name + ".lock")):
        if _read_stamp(path) is not None:  # built meanwhile by another process
            return _venv_python(path)
        print(f"scalesim_peer: installing {' '.join(REQUIREMENTS)} into {path} ...",
              file=sys.stderr, flush=True)
        (path / STAMP).unlink(missing_ok=True)
        steps = [
            [sys.executable, "-m", "venv", "--clear", str(path)],
            [str(_venv_python(path)), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", *REQUIREMENTS],
            [str(_venv_python(path)), "-c",
             "from importlib.metadata import version; import scalesim.scale_sim; "
             "print(version('scalesim'))"],
        ]
        out = ""
        for cmd in steps:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            out = proc.stdout
            if proc.returncode != 0:
                raise RuntimeError(f"scalesim venv: {' '.join(cmd[:4])} ... failed (exit "
                                   f"{proc.returncode}):\n{_tail(proc.stdout + proc.stderr)}")
        stamp = {"requirements": list(REQUIREMENTS), "version": out.strip()}
        (path / STAMP).write_text(json.dumps(stamp) + "\n", encoding="utf-8")
    return _venv_python(path)


def installed_version(python: Path) -> str:
    """The SCALE-Sim version of the venv whose python is ``python`` (from its stamp)."""
    stamp = _read_stamp(python.parent.parent)
    return str(stamp["version"]) if stamp else "unknown"


# ----- runs -----------------------------------------------------------------------------------

def scalesim_os_formula(M: int, K: int, N: int, rows: int, cols: int) -> int:
    """SCALE-Sim's output-stationary compute cycles as measured: ``T (K + R + C - 2) - 1``."""
    tiles = math.ceil(M / rows) * math.ceil(N / cols)
    return tiles * (K + rows + cols - 2) - 1


def _work(shape: tuple[int, int, int], rows: int, cols: int) -> int:
    """Array cycles SCALE-Sim walks through for a shape (its run time is about linear)."""
    m, k, n = shape
    return math.ceil(m / rows) * math.ceil(n / cols) * (k + rows + cols)


def _config(rows: int, cols: int, dataflow: str) -> str:
    return _CONFIG.format(rows=rows, cols=cols, dataflow=dataflow, sram=SRAM_KB)


def _cache_key(version: str, config: str, shape: tuple[int, int, int]) -> str:
    text = f"{version}\n{config}\n{shape}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _cache_file() -> Path:
    from sim.paths import cache_root

    return cache_root() / "scalesim" / "results.json"


def _load_cache(file: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _store_cache(file: Path, new: dict[str, dict[str, Any]]) -> None:
    with _locked(file.with_name(file.name + ".lock")):
        data = _load_cache(file)
        data.update(new)
        tmp = file.with_name(f"{file.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(file)


def _parse_report(report: Path) -> dict[str, Any]:
    with report.open(newline="") as f:
        rows = [r for r in csv.reader(f, skipinitialspace=True) if r]
    head = [h.strip() for h in rows[0]]
    if len(rows) != 2:
        raise RuntimeError(f"SCALE-Sim report {report} has {len(rows) - 1} layers, not 1")
    val = dict(zip(head, (v.strip() for v in rows[1]), strict=False))
    return {
        "cycles": int(float(val["Total Cycles"])),
        "stall_cycles": int(float(val["Stall Cycles"])),
        "cycles_with_prefetch": int(float(val["Total Cycles (incl. prefetch)"])),
        "overall_util": float(val["Overall Util %"]),
        "mapping_efficiency": float(val["Mapping Efficiency %"]),
        "compute_util": float(val["Compute Util %"]),
    }


def _run_one(python: Path, work: Path, idx: int, shape: tuple[int, int, int],
             config: str) -> dict[str, Any]:
    """SCALE-Sim on one shape in ``work/g<idx>``: its report row plus ``sim_s``, ``version``."""
    m, k, n = shape
    run = work / f"g{idx}"
    run.mkdir()
    (run / "scale.cfg").write_text(config, encoding="utf-8")
    (run / "topology.csv").write_text(f"Layer, M, N, K,\ng{idx}, {m}, {n}, {k},\n",
                                      encoding="utf-8")
    (run / "layout.csv").write_text("Layer name,\n", encoding="utf-8")
    (run / "driver.py").write_text(_DRIVER, encoding="utf-8")
    cmd = [str(python), "driver.py", "scale.cfg", "topology.csv", "layout.csv", "out",
           "version.txt"]
    env = {**os.environ, "PYTHONNOUSERSITE": "1"}
    env.pop("PYTHONPATH", None)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=run, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    sim_s = time.perf_counter() - t0
    report = run / "out" / "lowbit" / "COMPUTE_REPORT.csv"
    # SCALE-Sim exits 0 after printing an ERROR for a bad input: a missing report is a failure
    if proc.returncode != 0 or not report.exists():
        raise RuntimeError(f"SCALE-Sim failed on M={m} K={k} N={n} (exit {proc.returncode}"
                           f"{'' if report.exists() else ', no COMPUTE_REPORT.csv'}); "
                           f"output tail:\n{_tail(proc.stdout)}")
    row = _parse_report(report)
    row["sim_s"] = round(sim_s, 3)
    row["version"] = (run / "version.txt").read_text(encoding="utf-8").strip()
    return row


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _check_gemms(gemms: Sequence[Gemm]) -> list[Gemm]:
    out = []
    for g in gemms:
        name, m, k, n = g
        if not all(isinstance(v, int) and v >= 1 for v in (m, k, n)):
            raise ValueError(f"GEMM {name!r}: M, K, N must be positive integers, not {m, k, n}")
        out.append((str(name), m, k, n))
    return out


def scalesim_cycles(gemms: list[Gemm], rows: int, cols: int, dataflow: str = "os", *,
                    jobs: int | None = None, cache: bool = True,
                    venv: Path | None = None) -> ScaleSimResult:
    """SCALE-Sim's cycles for GEMMs ``(name, M, K, N)`` on a ``rows x cols`` array.

    Each distinct (M, K, N) is one SCALE-Sim process (in the venv of :func:`ensure_venv`,
    files in a temp dir removed afterwards, output kept unless it fails), up to ``jobs``
    (default: CPU count) at a time, largest first; with ``cache``, shapes already run with
    the same version and config come from ``<cache>/scalesim/results.json``. Raises
    RuntimeError naming the shape, with the tail of SCALE-Sim's output, if a run fails.
    """
    if dataflow not in DATAFLOWS:
        raise ValueError(f"SCALE-Sim dataflow must be one of {', '.join(DATAFLOWS)}, "
                         f"not {dataflow!r}")
    if not (isinstance(rows, int) and isinstance(cols, int) and rows >= 1 and cols >= 1):
        raise ValueError(f"array must be positive integers rows x cols, not {rows!r} x {cols!r}")
    gemms = _check_gemms(gemms)
    python = ensure_venv(venv)
    version = installed_version(python)
    t0, cpu0 = time.perf_counter(), _children_cpu()
    config = _config(rows, cols, dataflow)
    shapes = list(dict.fromkeys((m, k, n) for _, m, k, n in gemms))
    keys = {s: _cache_key(version, config, s) for s in shapes}
    cfile = _cache_file()
    known = _load_cache(cfile) if cache else {}
    got: dict[tuple[int, int, int], dict[str, Any]] = {
        s: {**known[keys[s]], "cached": True} for s in shapes if keys[s] in known}
    todo = sorted((s for s in shapes if s not in got), key=lambda s: -_work(s, rows, cols))
    if todo:
        workers = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
        with tempfile.TemporaryDirectory(prefix="lowbit-scalesim-") as tmp, \
                ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {s: pool.submit(_run_one, python, Path(tmp), i, s, config)
                       for i, s in enumerate(todo)}
            try:
                for s, fut in futures.items():
                    got[s] = {**fut.result(), "cached": False}
            except BaseException:
                for fut in futures.values():
                    fut.cancel()
                raise
        versions = {got[s].pop("version") for s in todo}
        if versions != {version}:
            raise RuntimeError(f"SCALE-Sim reported version {', '.join(sorted(versions))}, "
                               f"the venv's stamp says {version}")
        # stored even with cache=False: a re-run refreshes the entries (and their seconds)
        _store_cache(cfile, {keys[s]: {k: v for k, v in got[s].items() if k != "cached"}
                             for s in todo})
    layers = tuple(ScaleSimLayer(name=name, M=m, K=k, N=n, **got[(m, k, n)])
                   for name, m, k, n in gemms)
    return ScaleSimResult(layers=layers, rows=rows, cols=cols, dataflow=dataflow,
                          wall_s=time.perf_counter() - t0, version=version,
                          simulated=len(todo), cpu_s=_children_cpu() - cpu0)


# ----- comparison -----------------------------------------------------------------------------

def lowbit_cycles(gemms: Sequence[Gemm], rows: int, cols: int, fmt: str = "int8") -> list[int]:
    """lowbit's array engine ``total`` cycles (start to done) for each GEMM."""
    import numpy as np

    from models.cycle_array import array_cycle_model

    model = array_cycle_model(fmt, rows=rows, cols=cols)
    dims = {d: np.array([g[i] for g in gemms], dtype=np.int64)
            for i, d in enumerate(("M", "K", "N"), start=1)}
    return [int(v) for v in model.evaluate("total", **dims)]


def rows_of(result: ScaleSimResult, fmt: str = "int8") -> list[dict[str, Any]]:
    """Comparison rows (see :func:`compare`) of an existing SCALE-Sim result."""
    gemms = [(la.name, la.M, la.K, la.N) for la in result.layers]
    ours = lowbit_cycles(gemms, result.rows, result.cols, fmt) if gemms else []
    out = []
    for la, lb in zip(result.layers, ours, strict=True):
        tiles = math.ceil(la.M / result.rows) * math.ceil(la.N / result.cols)
        row: dict[str, Any] = {
            "name": la.name, "M": la.M, "K": la.K, "N": la.N, "tiles": tiles,
            "scalesim_cycles": la.cycles, "lowbit_cycles": lb,
            "ratio": la.cycles / lb,
            "scalesim_util": la.overall_util / 100,
            "lowbit_util": la.M * la.K * la.N / (lb * result.rows * result.cols),
            "scalesim_s": la.sim_s, "cached": la.cached,
        }
        if result.dataflow == "os":
            row["formula_ok"] = la.cycles == scalesim_os_formula(
                la.M, la.K, la.N, result.rows, result.cols)
        out.append(row)
    return out


def compare(gemms: list[Gemm], rows: int, cols: int, **kwargs: Any) -> list[dict[str, Any]]:
    """Per GEMM: name, M, K, N, tiles, ``scalesim_cycles`` (output-stationary),
    ``lowbit_cycles`` (:func:`models.cycle_array.array_cycle_model` of int8 PEs, ``total``),
    ``ratio`` = scalesim / lowbit, both utilizations (MACs / (cycles R C)), SCALE-Sim's
    seconds for the shape, whether it was cached, and ``formula_ok`` (SCALE-Sim's cycles
    equal :func:`scalesim_os_formula`). ``kwargs`` go to :func:`scalesim_cycles`."""
    return rows_of(scalesim_cycles(gemms, rows, cols, "os", **kwargs))


# ----- workloads and CLI ----------------------------------------------------------------------

DEMO_GEMMS: tuple[Gemm, ...] = (
    ("layer1.0.conv1", 3136, 64, 64),
    ("layer2.0.conv3", 784, 128, 512),
    ("layer3.1.conv1", 196, 1024, 256),
    ("layer4.1.conv1", 49, 2048, 512),
    ("fc", 1, 2048, 1000),
    ("odd", 100, 30, 70),
)
"""A handful of ResNet-50 layers as GEMMs (batch 1, im2col) plus one odd-sized GEMM."""


def zoo_gemms(net: str = "resnet50") -> list[Gemm]:
    """The GEMMs of a lowbit zoo network (:func:`models.zoo.zoo_workload`), one
    ``(name, M, K, N)`` per GEMM (a layer of ``repeat`` r gives r entries)."""
    from models.zoo import zoo_workload

    out: list[Gemm] = []
    for lay in zoo_workload(net).layers:
        out += [(lay.name if lay.repeat == 1 else f"{lay.name}[{i}]", lay.m, lay.k, lay.n)
                for i in range(lay.repeat)]
    return out


def _array(text: str) -> tuple[int, int]:
    try:
        r, c = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"array must be RxC (e.g. 16x16), not {text!r}") from None
    if r < 1 or c < 1:
        raise argparse.ArgumentTypeError(f"array sides must be positive, not {text!r}")
    return r, c


def _table(rows: list[dict[str, Any]]) -> str:
    head = ("| GEMM | M | K | N | tiles | SCALE-Sim | lowbit | ratio | util SCALE-Sim | "
            "util lowbit | formula | SCALE-Sim s |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['M']} | {r['K']} | {r['N']} | {r['tiles']} | "
            f"{r['scalesim_cycles']} | {r['lowbit_cycles']} | {r['ratio']:.3f} | "
            f"{r['scalesim_util']:.1%} | {r['lowbit_util']:.1%} | "
            f"{'ok' if r.get('formula_ok') else 'DIFFERS'} | "
            f"{r['scalesim_s']:.1f}{' (cached)' if r['cached'] else ''} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--array", type=_array, default=(16, 16), help="RxC (default 16x16)")
    ap.add_argument("--resnet50", action="store_true",
                    help="the 54 ResNet-50 GEMMs instead of the demo handful")
    ap.add_argument("--jobs", type=int, default=None, help="parallel SCALE-Sim runs")
    ap.add_argument("--no-cache", action="store_true", help="re-run cached shapes")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args(argv)
    gemms = zoo_gemms("resnet50") if args.resnet50 else list(DEMO_GEMMS)
    r, c = args.array
    try:
        result = scalesim_cycles(gemms, r, c, "os", jobs=args.jobs, cache=not args.no_cache)
    except RuntimeError as e:
        print(f"scalesim_peer: {e}", file=sys.stderr)
        return 1
    rows = rows_of(result)
    total_ss = sum(x["scalesim_cycles"] for x in rows)
    total_lb = sum(x["lowbit_cycles"] for x in rows)
    if args.json:
        print(json.dumps({"scalesim_version": result.version, "array": [r, c],
                          "wall_s": result.wall_s, "cpu_s": result.cpu_s,
                          "simulated": result.simulated,
                          "rows": rows, "layers": [asdict(la) for la in result.layers]},
                         indent=1))
        return 0
    print(f"SCALE-Sim {result.version} vs lowbit array model (int8), {r}x{c}, "
          "output-stationary\n")
    print(_table(rows))
    shapes = len({(x["M"], x["K"], x["N"]) for x in rows})
    print(f"\n{len(rows)} GEMMs, {shapes} distinct shapes ({result.simulated} simulated, "
          f"{shapes - result.simulated} from the cache): SCALE-Sim {total_ss} cycles, "
          f"lowbit {total_lb}, "
          f"ratio {total_ss / total_lb:.3f}; SCALE-Sim wall time {result.wall_s:.1f} s "
          f"({result.cpu_s:.1f} CPU s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
