"""lowbit cost models: cycles of the engines in ``hw/``, area and energy of every unit.

- :class:`~models.cycle_model.CycleModel` - named sympy expressions of ``M, K, N, R, C, ...``
  with ``.expr``, ``.subs``, ``.evaluate`` (lambdified NumPy), ``.solve_for``, ``.best_shape``.
- :func:`~models.cycle_model.cycle_model` - the model of an engine (``"array"``, ``"lut"``)
  for a format; :func:`~models.cycle_model.register_engine` plugs an engine in.
- :func:`~models.cost.unit_cost` - area (transistors, NAND2 eq., um^2), logic depth and
  energy per operation of a registry unit in a format, from its synthesized netlist and
  its gate-level toggles under a data stimulus (:mod:`models.synth`,
  :mod:`models.activity`, :mod:`models.energy`; ``docs/costs.md``).
- :func:`~models.energy.load_technology` - a technology file (TOML).
- :class:`~models.accel.Accelerator`, :class:`~models.workload.Workload` (``from_torch``),
  :func:`~models.zoo.zoo_workload`; ``models.evaluate.evaluate`` - a whole network on a
  whole accelerator: cycles, time, energy by part, memory traffic, area, per layer
  (``docs/networks.md``); ``models.sweep.sweep`` - design-space sweeps.
"""

from models.cycle_model import C, CycleModel, K, M, N, R, cycle_model, engines, register_engine, sym

_LAZY = {
    "unit_cost": "cost", "UnitCost": "cost", "load_technology": "energy",
    "Technology": "energy", "Accelerator": "accel", "Workload": "workload", "Layer": "workload",
    "zoo_workload": "zoo",
}


def __getattr__(name: str):
    # the cost API imports the simulation flow and torch: loaded on first use, not with the
    # cycle models
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"models.{mod}"), name)


__all__ = ["Accelerator", "C", "CycleModel", "K", "Layer", "M", "N", "R", "Technology",
           "UnitCost", "Workload", "cycle_model", "engines", "load_technology",
           "register_engine", "sym", "unit_cost", "zoo_workload"]
