"""Where lowbit keeps its build cache and writes its run outputs.

Two roots, each chosen by the same three rules, first match wins:

1. an environment variable: ``LOWBIT_CACHE`` (cache) / ``LOWBIT_RESULTS`` (run outputs);
2. running from a source checkout (:func:`in_checkout`): ``<repo>/sim_build`` and
   ``<repo>/results``, both gitignored, as developers have always had them;
3. otherwise (an installed copy, e.g. in site-packages, possibly read-only): the user cache
   folder (:func:`user_cache_dir`) for the cache, and ``./lowbit-results`` under the
   current working directory for run outputs.

An installed copy never writes into its own install location.
"""

from __future__ import annotations

import os
import sys
import tomllib
from functools import cache
from pathlib import Path

__all__ = [
    "cache_root", "checkout_root", "in_checkout", "is_checkout", "results_root",
    "user_cache_dir",
]

_PACKAGE_PARENT = Path(__file__).resolve().parent.parent
RESULTS_DIRNAME = "lowbit-results"
"""Folder under the current working directory that an installed copy writes results to."""


def is_checkout(root: Path) -> bool:
    """True when ``root`` is a lowbit source checkout: it has a ``.git`` entry (directory,
    or file for a worktree) and a ``pyproject.toml`` whose ``[project] name`` is ``lowbit``,
    and it is not a ``site-packages``/``dist-packages`` folder."""
    if root.name in ("site-packages", "dist-packages") or not (root / ".git").exists():
        return False
    try:
        meta = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    project = meta.get("project")
    return isinstance(project, dict) and project.get("name") == "lowbit"


@cache
def checkout_root() -> Path | None:
    """The source checkout this package runs from, or None for an installed copy.

    The checkout is the folder holding the ``sim`` package, if :func:`is_checkout` says it
    is one. An installed copy (site-packages, ``pip install --target``) never is: a wheel
    ships neither ``.git`` nor ``pyproject.toml``.
    """
    return _PACKAGE_PARENT if is_checkout(_PACKAGE_PARENT) else None


def in_checkout() -> bool:
    """True when lowbit runs from a source checkout (see :func:`checkout_root`)."""
    return checkout_root() is not None


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else None


def user_cache_dir() -> Path:
    """The per-user cache folder for lowbit.

    ``$XDG_CACHE_HOME/lowbit`` when ``XDG_CACHE_HOME`` is set to an absolute path; else
    ``~/Library/Caches/lowbit`` on macOS and ``~/.cache/lowbit`` elsewhere (the XDG base
    directory default, what ``platformdirs.user_cache_dir("lowbit")`` gives on Linux).
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "lowbit"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "lowbit"
    return Path.home() / ".cache" / "lowbit"


def cache_root() -> Path:
    """Root of the build cache (Verilator builds, later synthesis runs).

    ``$LOWBIT_CACHE`` if set (resolved against the current directory); else
    ``<repo>/sim_build`` in a source checkout; else :func:`user_cache_dir`. The folder is
    created by whoever writes into it.
    """
    env = _env_path("LOWBIT_CACHE")
    if env is not None:
        return env
    repo = checkout_root()
    return repo / "sim_build" if repo is not None else user_cache_dir()


def results_root() -> Path:
    """Root of run outputs (JUnit XML, waves, result JSON, plots).

    ``$LOWBIT_RESULTS`` if set (resolved against the current directory); else
    ``<repo>/results`` in a source checkout; else ``lowbit-results/`` under the current
    working directory. A command's own ``--out`` option, where it has one, wins over all.
    """
    env = _env_path("LOWBIT_RESULTS")
    if env is not None:
        return env
    repo = checkout_root()
    return repo / "results" if repo is not None else Path.cwd() / RESULTS_DIRNAME
