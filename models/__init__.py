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
"""

from models.cycle_model import C, CycleModel, K, M, N, R, cycle_model, engines, register_engine, sym


def __getattr__(name: str):
    # the cost API imports the simulation flow: loaded on first use, not with the cycle models
    if name in ("unit_cost", "UnitCost"):
        from models import cost

        return getattr(cost, name)
    if name in ("load_technology", "Technology"):
        from models import energy

        return getattr(energy, name)
    raise AttributeError(f"module 'models' has no attribute {name!r}")


__all__ = ["C", "CycleModel", "K", "M", "N", "R", "Technology", "UnitCost", "cycle_model",
           "engines", "load_technology", "register_engine", "sym", "unit_cost"]
