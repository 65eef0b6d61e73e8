"""Shared pytest configuration: Hypothesis settings, the order in which pytest-xdist hands
out the tests, and a per-session cache of Verilator's runtime objects.

Hypothesis: no deadline (the machine is shared and first calls build lookup tables); under
``CI`` the examples are derandomized so that a run is reproducible.

Order: the Verilator tests (marker ``rtl``: seconds to tens of seconds each, most of
``make test``'s time, against well under a second for most others) are spread evenly over
the collection when pytest-xdist runs it. Its ``load`` scheduler hands each worker runs of
consecutive tests, so in file order one worker could get most of the Verilator tests of a
file and finish minutes after the other. Only the order changes: every test still runs, a
file's tests keep their relative order, the tests of a file with module- or class-scoped
fixtures stay together, and a plain ``pytest`` run keeps file order.

Runtime objects: every Verilator build compiles Verilator's own runtime
(``verilated.cpp``, ``verilated_vpi.cpp``, ... from ``$VERILATOR_ROOT/include``: about 11
of the ~14 CPU seconds a small design's build takes) with the same command, whatever the
design. For the session, this file is Verilator's ``OBJCACHE`` compiler prefix (a make
variable of ``verilated.mk``, meant for ccache): :func:`_objcache` keeps each such object
in a temporary folder and copies it into the next build that runs the identical compile
(same command but the output name, same source bytes). Everything else, the design's C++
and cocotb's ``verilator.cpp`` (which includes the design's ``Vtop.h``), is compiled as
always, and an object is kept only when it includes no header of the build directory.
A session whose environment already sets ``OBJCACHE`` keeps it (say, ``ccache``; an empty
``OBJCACHE=`` turns the cache off).
"""

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

OBJCACHE_DIR = "LOWBIT_TEST_OBJCACHE"
"""Environment variable naming the session's folder of runtime objects."""


def _objcache(argv: list[str]) -> int:
    """Run the compile ``argv`` (``c++ ... -c -o X.o SRC``) as make asked; serve it from
    ``$LOWBIT_TEST_OBJCACHE`` instead when SRC is a file of ``$VERILATOR_ROOT/include``
    and the identical compile ran before in this session. Any trouble with the folder
    means a plain compile."""
    store, root = os.environ.get(OBJCACHE_DIR, ""), os.environ.get("VERILATOR_ROOT", "")
    srcs = [a for a in argv[1:] if a.endswith(".cpp") and not a.startswith("-")]
    if not (store and root and "-c" in argv and argv.count("-o") == 1 and len(srcs) == 1
            and os.path.realpath(os.path.dirname(srcs[0]))
            == os.path.realpath(os.path.join(root, "include"))):
        return subprocess.call(argv)
    i = argv.index("-o")
    out = Path(argv[i + 1])
    dep = out.with_suffix(".d")  # what -MMD writes
    try:
        key = hashlib.sha256("\0".join([os.path.realpath(shutil.which(argv[0]) or argv[0]),
                                        *argv[:i], *argv[i + 2:]]).encode())
        key.update(Path(srcs[0]).read_bytes())
        entry = Path(store) / key.hexdigest()
        if (entry / "complete").is_file():
            shutil.copyfile(entry / "obj", out)
            if (entry / "dep").is_file():
                shutil.copyfile(entry / "dep", dep)
            return 0
    except OSError:
        return subprocess.call(argv)
    code = subprocess.call(argv)
    try:
        deps = dep.read_text().replace("\\\n", " ").split()[1:] if dep.is_file() else []
        if code == 0 and out.is_file() and all(os.path.isabs(d) for d in deps):
            part = Path(tempfile.mkdtemp(dir=store))
            shutil.copyfile(out, part / "obj")
            if dep.is_file():
                shutil.copyfile(dep, part / "dep")
            (part / "complete").touch()
            try:
                os.replace(part, entry)  # atomic; a concurrent identical compile may win
            except OSError:
                shutil.rmtree(part, ignore_errors=True)
    except OSError:
        pass  # not kept: the next identical compile runs in full
    return code


if __name__ == "__main__":  # run by make as the OBJCACHE prefix: stop before pytest loads
    sys.exit(_objcache(sys.argv[1:]))

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

settings.register_profile("lowbit", deadline=None, print_blob=True)
settings.register_profile("ci", parent=settings.get_profile("lowbit"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "lowbit")

_own_store: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    """In the main process (xdist's workers and every subprocess inherit it): make the
    session's runtime-object folder and put this file in ``OBJCACHE``."""
    global _own_store
    if os.environ.get("PYTEST_XDIST_WORKER") or "OBJCACHE" in os.environ:
        return  # a worker, or OBJCACHE set by the caller (empty: no cache)
    _own_store = tempfile.mkdtemp(prefix="lowbit-objcache-")
    os.environ[OBJCACHE_DIR] = _own_store
    os.environ["OBJCACHE"] = f"{shlex.quote(sys.executable)} {shlex.quote(__file__)}"


def pytest_unconfigure(config: pytest.Config) -> None:
    if _own_store is not None:
        shutil.rmtree(_own_store, ignore_errors=True)
        os.environ.pop(OBJCACHE_DIR, None)
        os.environ.pop("OBJCACHE", None)


def _file(item: pytest.Item) -> str:
    return item.nodeid.split("::")[0]


def _scoped(item: pytest.Item) -> bool:
    """True when ``item`` uses a fixture that lives for a run of consecutive tests of its
    file (module, class or package scope): a test moved into or out of that run would make
    the fixture be set up again. Unknown (pytest's internals changed): True."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return True
    return any(getattr(defs[-1], "scope", "module") in ("class", "module", "package")
               for defs in info.name2fixturedefs.values() if defs)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Spread the ``rtl`` tests evenly among the others (see the module docstring); the
    tests of a file with module- or class-scoped fixtures stay where they are, together."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # a worker: every one sorts the same way
        return
    pinned = {_file(it) for it in items if _scoped(it)}
    heavy = [it for it in items if it.get_closest_marker("rtl") and _file(it) not in pinned]
    moved = set(map(id, heavy))
    light = [it for it in items if id(it) not in moved]
    if not heavy or not light:
        return
    step = len(light) / len(heavy)
    spread: list[pytest.Item] = []
    done = 0
    for k, item in enumerate(heavy):  # the k-th after about (k + 1/2) steps of light tests
        upto = min(len(light), round((k + 0.5) * step))
        while (0 < upto < len(light) and _file(light[upto]) in pinned
               and _file(light[upto - 1]) == _file(light[upto])):
            upto += 1  # not into a pinned file's run
        upto = max(upto, done)
        spread += light[done:upto]
        spread.append(item)
        done = upto
    items[:] = spread + light[done:]
