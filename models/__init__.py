"""lowbit cost models: analytic cycle models of the engines in ``hw/``.

- :class:`~models.cycle_model.CycleModel` - named sympy expressions of ``M, K, N, R, C, ...``
  with ``.expr``, ``.subs``, ``.evaluate`` (lambdified NumPy), ``.solve_for``, ``.best_shape``.
- :func:`~models.cycle_model.cycle_model` - the model of an engine (``"array"``, ``"lut"``)
  for a format; :func:`~models.cycle_model.register_engine` plugs an engine in.
"""

from models.cycle_model import C, CycleModel, K, M, N, R, cycle_model, engines, register_engine, sym

__all__ = ["C", "CycleModel", "K", "M", "N", "R", "cycle_model", "engines", "register_engine",
           "sym"]
