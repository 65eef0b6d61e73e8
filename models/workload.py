"""Whole-network workloads as GEMMs: every multiply-accumulate layer of a network, as a shape.

A :class:`Layer` is one GEMM shape, ``C[M, N] = A[M, K] x B[K, N]``, done ``repeat`` times
independently in one call (conv groups, batch x heads of a batched matmul). A
:class:`Workload` is the ordered tuple of a network's layers, in the order its forward pass
issues them; :meth:`Workload.arrays` gives them as NumPy columns for the vectorised cost
models (``models.cycle_model``), :meth:`Workload.to_frame` as a pandas table.

Conventions, shared by every workload so that costs compare:

- One MAC is one multiply-add of a GEMM: ``Layer.macs = m * k * n * repeat``. Nothing else is
  counted: norms, softmax, activations, pooling, residual adds, embedding lookups and biases
  are not GEMMs.
- ``weight=True`` means operand B is a weight (a parameter of the module, or a tensor computed
  from parameters only, such as ``W.T``); ``weight=False`` means both operands are
  activations (attention ``Q K^T`` and ``P V``). A weight is ALWAYS operand B: a GEMM whose
  first operand is the weight is recorded transposed (``C^T = B^T A^T``, m and n swapped).
- Batch dimensions over which B is shared (B has size 1 there, or has no batch dimensions at
  all) fold into M, as ``F.linear`` does with a 3-D input: ``x @ W`` on ``x`` of shape
  ``(2, 5, 8)`` is one GEMM with M = 10. The other batch dimensions are ``repeat``.
- Convolutions are their im2col GEMMs: M = batch x output positions, K = (C_in / groups) x
  kernel size, N = C_out / groups, repeat = groups (a depthwise conv is C GEMMs with N = 1).
  Stride, padding and dilation enter through the output shape.
- Attention (``F.scaled_dot_product_attention``) is two GEMMs, ``qk`` (M = L, K = E, N = S)
  and ``av`` (M = L, K = S, N = Ev), ``repeat`` = batch x heads. Causal attention is counted
  as the full square, which is what hardware without sparsity support computes. Under
  grouped-query attention (``enable_gqa``) the query heads sharing one K/V head fold into M
  (hardware reads each K/V head once for its group): M = L x group, repeat = batch x K/V heads.

:meth:`Workload.from_torch` records these layers from one forward pass of any torch module;
see its docstring for what it intercepts and how it names the layers.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import warnings
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    import torch

__all__ = ["KINDS", "Layer", "Workload"]

KINDS = ("linear", "conv1d", "conv2d", "matmul")


@dataclass(frozen=True)
class Layer:
    """One GEMM shape of a network: ``C[m, n] = A[m, k] x B[k, n]``, ``repeat`` times.

    Attributes
    ----------
    name : str
        Unique name within its workload (a module path, see :meth:`Workload.from_torch`).
    kind : str
        What issued it: ``"linear"``, ``"conv1d"``, ``"conv2d"`` or ``"matmul"`` (every
        matmul / bmm / attention GEMM).
    m, k, n : int
        GEMM dimensions: rows of A and C, reduction length, columns of B and C.
    weight : bool
        True if operand B is a weight (a parameter); False if both operands are activations.
    repeat : int
        Independent GEMMs of this shape in one call (conv groups, batch x heads).
    """

    name: str
    kind: str
    m: int
    k: int
    n: int
    weight: bool
    repeat: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"layer name must be a non-empty string, not {self.name!r}")
        if self.kind not in KINDS:
            raise ValueError(
                f"layer {self.name!r}: kind must be one of {', '.join(KINDS)}, not {self.kind!r}"
            )
        for dim in ("m", "k", "n", "repeat"):
            value = getattr(self, dim)
            if (
                isinstance(value, bool | np.bool_)
                or not isinstance(value, numbers.Integral)
                or value < 1
            ):
                raise ValueError(
                    f"layer {self.name!r}: {dim} must be a positive integer, not {value!r}"
                )
            object.__setattr__(self, dim, int(value))
        if not isinstance(self.weight, bool | np.bool_):
            raise ValueError(f"layer {self.name!r}: weight must be a bool, not {self.weight!r}")
        object.__setattr__(self, "weight", bool(self.weight))

    @property
    def macs(self) -> int:
        """Multiply-accumulates of the layer: ``m * k * n * repeat``."""
        return self.m * self.k * self.n * self.repeat


@dataclass(frozen=True)
class Workload:
    """A network as the ordered GEMMs of one forward pass (see the module docstring).

    Attributes
    ----------
    name : str
        Name of the network (``"resnet50"``, ...).
    layers : tuple[Layer, ...]
        Its GEMMs in call order; names are unique.
    description : str
        Free text: what the network is and at which input shape.
    """

    name: str
    layers: tuple[Layer, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"workload name must be a non-empty string, not {self.name!r}")
        if isinstance(self.layers, Layer) or not isinstance(self.layers, Sequence):
            raise ValueError(f"workload {self.name!r}: layers must be a sequence of Layer")
        layers = tuple(self.layers)
        for layer in layers:
            if not isinstance(layer, Layer):
                raise ValueError(
                    f"workload {self.name!r}: layers must be Layer, not {type(layer).__name__}"
                )
        seen: set[str] = set()
        for layer in layers:
            if layer.name in seen:
                raise ValueError(f"workload {self.name!r}: layer name {layer.name!r} is repeated")
            seen.add(layer.name)
        object.__setattr__(self, "layers", layers)

    @property
    def macs(self) -> int:
        """Total multiply-accumulates of the workload (sum of :attr:`Layer.macs`)."""
        return sum(layer.macs for layer in self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    @cached_property
    def _by_name(self) -> dict[str, Layer]:
        return {layer.name: layer for layer in self.layers}

    def layer(self, name: str) -> Layer:
        """The layer called ``name``; KeyError (one line, a few known names) if there is none."""
        try:
            return self._by_name[name]
        except KeyError:
            names = [layer.name for layer in self.layers]
            shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            raise KeyError(
                f"no layer {name!r} in workload {self.name!r} ({len(names)} layers: {shown})"
            ) from None

    def arrays(self) -> dict[str, np.ndarray]:
        """The layers as columns: int64 arrays ``m, k, n, repeat`` and a bool array ``weight``.

        One entry per layer, in layer order, for the vectorised cost models
        (``cycle_model(...).evaluate(M=a["m"], K=a["k"], N=a["n"], ...)``). Built once per
        workload; the arrays are read-only.
        """
        return dict(self._columns)

    @cached_property
    def _columns(self) -> dict[str, np.ndarray]:
        columns: dict[str, np.ndarray] = {
            dim: np.array([getattr(layer, dim) for layer in self.layers], dtype=np.int64)
            for dim in ("m", "k", "n", "repeat")
        }
        columns["weight"] = np.array([layer.weight for layer in self.layers], dtype=bool)
        for v in columns.values():
            v.flags.writeable = False
        return columns

    def to_frame(self) -> pd.DataFrame:
        """The layers as a pandas DataFrame: name, kind, m, k, n, weight, repeat, macs.

        Integer columns are int64; ``frame.attrs["workload"]`` is the workload's name.
        """
        import pandas as pd

        columns = self.arrays()
        frame = pd.DataFrame(
            {
                "name": [layer.name for layer in self.layers],
                "kind": [layer.kind for layer in self.layers],
                "m": columns["m"],
                "k": columns["k"],
                "n": columns["n"],
                "weight": columns["weight"],
                "repeat": columns["repeat"],
                "macs": np.array([layer.macs for layer in self.layers], dtype=np.int64),
            }
        )
        frame.attrs["workload"] = self.name
        return frame

    @classmethod
    def from_torch(
        cls,
        module: torch.nn.Module,
        example_inputs: Any,
        name: str | None = None,
        description: str = "",
    ) -> Workload:
        """Record every GEMM of one forward pass of ``module`` on ``example_inputs``.

        ``example_inputs`` is a tensor (one positional argument), a tuple or list (positional
        arguments) or a dict (keyword arguments). The forward runs once under
        ``torch.no_grad()``; module and inputs may live on the ``meta`` device, so that a
        7B-parameter network traces in about a second, with no memory for its weights.
        Shapes are all it reads.

        What is recorded (through a ``torch.overrides.TorchFunctionMode``, which sees the
        top-level torch call only: an ``F.linear`` is one GEMM, never again as the matmul it
        may lower to):

        - ``F.linear`` (``nn.Linear``): M = product of the input's leading dimensions;
        - ``F.conv1d`` / ``F.conv2d`` (``nn.Conv1d`` / ``nn.Conv2d``): the im2col GEMM;
        - ``torch.matmul`` / ``@`` / ``mm`` / ``bmm`` / ``addmm`` / ``baddbmm`` / ``addbmm`` /
          ``mv`` / ``addmv`` / ``dot``, as functions or tensor methods;
        - ``F.scaled_dot_product_attention``: its ``qk`` and ``av`` GEMMs;
        - ``F.multi_head_attention_forward`` (``nn.MultiheadAttention``, hence
          ``nn.Transformer*`` layers): its in-projections (one fused GEMM for
          self-attention, as torch computes it), ``qk``, ``av`` and ``out_proj``.

        Other GEMM-like calls (``einsum``, ``tensordot``, ``conv3d``, transposed convs,
        ``bilinear``, RNN cells) are not recorded: each raises one ``UserWarning``.

        Naming: each module call is a scope named by its module path (``"layer1.0.conv1"``;
        the root is ``""``); the k-th call of the same module (k >= 2) is ``"<path>#k"``.
        A GEMM issued directly by a scope is ``"<scope>.<op><i>"``, with ``op`` one of
        ``linear``, ``conv``, ``matmul``, ``sdpa``, ``mha`` and ``i`` counting that op in the
        scope's call order (``"encoder.layer.0.attention.self.matmul1"``). When a module's
        whole call issued exactly one such op (an ``nn.Linear``, an ``nn.Conv2d``, ...) the
        op takes the module's own name (``"layer1.0.conv1"``). Attention adds ``.qk`` and
        ``.av`` (``"layers.0.attn.sdpa0.qk"``); multi-head attention adds ``.in_proj`` (or
        ``.in_proj_q``, ``.in_proj_kv``, ``.in_proj_k``, ``.in_proj_v``), ``.qk``, ``.av``,
        ``.out_proj``. Any remaining clash gets ``"#2"``, ``"#3"`` appended.

        Raises TypeError if ``module`` is not an ``nn.Module``, ValueError (one line, naming
        the module class and the error) if its forward raises or records no GEMM.
        """
        import torch

        if not isinstance(module, torch.nn.Module):
            raise TypeError(
                f"from_torch needs a torch.nn.Module, not {type(module).__name__}"
            )
        if isinstance(example_inputs, Mapping):
            args, kwargs = (), dict(example_inputs)
        elif isinstance(example_inputs, tuple | list):
            args, kwargs = tuple(example_inputs), {}
        else:
            args, kwargs = (example_inputs,), {}
        label = type(module).__name__
        recorder = _Recorder(module)
        try:
            with torch.no_grad(), recorder:
                module(*args, **kwargs)
        except Exception as error:
            message = str(error).strip().splitlines()
            detail = f": {message[0]}" if message else ""
            raise ValueError(
                f"forward of {label} raised {type(error).__name__}{detail}"
            ) from error
        layers = recorder.layers()
        if not layers:
            raise ValueError(
                f"forward of {label} recorded no GEMM (linear, conv1d/2d, matmul, attention)"
            )
        return cls(name=name or label, layers=tuple(layers), description=description)


# --- recording a forward pass -----------------------------------------------------------


@dataclass(eq=False)
class _Scope:
    """One call of one module: where the GEMMs it issues directly get their names."""

    label: str                      # module path, with "#k" on the k-th call (k >= 2)
    parent: _Scope | None
    is_root: bool = False
    calls: list[_Call] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    nested: bool = False            # a child module call recorded a GEMM


@dataclass(eq=False)
class _Call:
    """One intercepted torch call: one or more GEMMs (``parts``) under one op name."""

    scope: _Scope
    op: str
    index: int
    parts: list[tuple[str, str, int, int, int, bool, int]]  # suffix, kind, m, k, n, w, repeat


def _prod(values: Sequence[int]) -> int:
    return math.prod(int(v) for v in values)


def _batched_gemm(
    batch_a: tuple[int, ...], m: int, k: int, batch_b: tuple[int, ...], n: int,
    a_weight: bool, b_weight: bool,
) -> tuple[int, int, int, bool, int]:
    """``(m, k, n, weight, repeat)`` of ``A[*batch_a, m, k] x B[*batch_b, k, n]``.

    A weight A with an activation B is transposed (weight always B). Batch dimensions where B
    has size 1 (or none) fold into M; the others are ``repeat``.
    """
    if a_weight and not b_weight:
        batch_a, m, batch_b, n = batch_b, n, batch_a, m
        b_weight = True
    import torch

    batch = tuple(torch.broadcast_shapes(torch.Size(batch_a), torch.Size(batch_b)))
    padded_b = (1,) * (len(batch) - len(batch_b)) + tuple(batch_b)
    fold = _prod([size for size, size_b in zip(batch, padded_b, strict=True) if size_b == 1])
    repeat = _prod([size for size, size_b in zip(batch, padded_b, strict=True) if size_b != 1])
    return m * fold, k, n, b_weight, repeat


# matmul family: torch name -> (A position, A keyword, B position, B keyword)
_MATMUL_OPERANDS = {
    "matmul": (0, "input", 1, "other"),
    "__matmul__": (0, "input", 1, "other"),
    "__rmatmul__": (1, "other", 0, "input"),
    "mm": (0, "input", 1, "mat2"),
    "bmm": (0, "input", 1, "mat2"),
    "mv": (0, "input", 1, "vec"),
    "dot": (0, "input", 1, "tensor"),
    "addmm": (1, "mat1", 2, "mat2"),
    "addmm_": (1, "mat1", 2, "mat2"),
    "baddbmm": (1, "batch1", 2, "batch2"),
    "baddbmm_": (1, "batch1", 2, "batch2"),
    "addbmm": (1, "batch1", 2, "batch2"),
    "addbmm_": (1, "batch1", 2, "batch2"),
    "addmv": (1, "mat", 2, "vec"),
    "addmv_": (1, "mat", 2, "vec"),
}
_UNRECORDED = (
    "einsum", "tensordot", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "bilinear", "chain_matmul", "multi_dot", "lstm", "gru", "rnn_tanh",
    "rnn_relu", "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell",
)


@functools.cache
def _handlers() -> dict[Any, tuple[str, Any]]:
    """torch callable -> (name, handler), for every function and tensor method recorded."""
    import torch
    from torch.nn import functional

    namespaces = (torch, torch.Tensor, torch._C.TensorBase, functional, torch._C._nn, torch.linalg)
    table: dict[Any, tuple[str, Any]] = {}

    def add(name: str, handler: Any) -> None:
        for namespace in namespaces:
            obj = getattr(namespace, name, None)
            if obj is not None:
                table.setdefault(obj, (name, handler))

    for name in _MATMUL_OPERANDS:
        add(name, _Recorder._matmul)
    add("linear", _Recorder._linear)
    add("conv1d", _Recorder._conv)
    add("conv2d", _Recorder._conv)
    add("scaled_dot_product_attention", _Recorder._sdpa)
    add("multi_head_attention_forward", _Recorder._mha)
    for name in _UNRECORDED:
        add(name, _Recorder._unrecorded)
    return table


def _arg(args: tuple, kwargs: dict, position: int, keyword: str, default: Any = None) -> Any:
    if len(args) > position:
        return args[position]
    return kwargs.get(keyword, default)


def _tensors(obj: Any) -> Iterator[Any]:
    import torch

    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, tuple | list):
        for item in obj:
            yield from _tensors(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _tensors(item)


class _Recorder:
    """Module hooks (the scope stack) plus a TorchFunctionMode (the GEMMs)."""

    def __init__(self, root: torch.nn.Module) -> None:
        self.root = root
        # the root scope: GEMMs of the root module's own forward (and any outside every hook)
        self.stack: list[_Scope] = [_Scope(label="", parent=None, is_root=True)]
        self.calls: list[_Call] = []
        self.module_calls: dict[str, int] = {}
        self.derived: dict[int, weakref.ref] = {}   # tensors computed from parameters only
        self.warned: set[str] = set()
        self.handles: list[Any] = []
        self.mode: Any = None

    # context: hooks on every module, the mode around the forward
    def __enter__(self) -> _Recorder:
        from torch.overrides import TorchFunctionMode

        recorder = self
        handlers = _handlers()

        class _Mode(TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                kwargs = kwargs or {}
                out = func(*args, **kwargs)
                entry = handlers.get(func)
                if entry is not None and out is not NotImplemented:
                    try:
                        entry[1](recorder, entry[0], args, kwargs, out)
                    except Exception as error:
                        raise RuntimeError(
                            f"from_torch could not read the shapes of {entry[0]}: {error}"
                        ) from error
                recorder._propagate(args, kwargs, out)
                return out

        for path, submodule in self.root.named_modules():
            if not path:        # the root module is the root scope
                continue
            self.handles.append(submodule.register_forward_pre_hook(self._enter_hook(path)))
            self.handles.append(
                submodule.register_forward_hook(self._exit_hook, always_call=True)
            )
        self.mode = _Mode()
        self.mode.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.mode.__exit__(*exc)
        for handle in self.handles:
            handle.remove()
        self.handles.clear()

    def _enter_hook(self, path: str):
        def hook(module: Any, args: Any) -> None:
            count = self.module_calls.get(path, 0) + 1
            self.module_calls[path] = count
            label = path if count == 1 else f"{path}#{count}"
            self.stack.append(_Scope(label=label, parent=self.stack[-1]))

        return hook

    def _exit_hook(self, module: Any, args: Any, output: Any) -> None:
        if len(self.stack) > 1:
            self.stack.pop()

    # which tensors are weights: parameters, and tensors computed from parameters only
    def _is_weight(self, tensor: Any) -> bool:
        import torch

        if isinstance(tensor, torch.nn.Parameter):
            return True
        ref = self.derived.get(id(tensor))
        return ref is not None and ref() is tensor

    def _propagate(self, args: tuple, kwargs: dict, out: Any) -> None:
        inputs = list(_tensors((args, kwargs)))
        if not inputs or not all(self._is_weight(t) for t in inputs):
            return
        for tensor in _tensors(out):
            self.derived[id(tensor)] = weakref.ref(tensor)

    # recording
    def _record(self, op: str, parts: list[tuple[str, str, int, int, int, bool, int]]) -> None:
        scope = self.stack[-1]
        index = scope.counts.get(op, 0)
        scope.counts[op] = index + 1
        call = _Call(scope=scope, op=op, index=index, parts=parts)
        scope.calls.append(call)
        self.calls.append(call)
        parent = scope.parent
        while parent is not None and not parent.nested:
            parent.nested = True
            parent = parent.parent

    def _matmul(self, name: str, args: tuple, kwargs: dict, out: Any) -> None:
        pos_a, key_a, pos_b, key_b = _MATMUL_OPERANDS[name]
        a, b = _arg(args, kwargs, pos_a, key_a), _arg(args, kwargs, pos_b, key_b)
        if a.dim() == 1:
            batch_a, m, k = (), 1, a.shape[0]
        else:
            batch_a, m, k = tuple(a.shape[:-2]), a.shape[-2], a.shape[-1]
        if b.dim() == 1:
            batch_b, n = (), 1
        else:
            batch_b, n = tuple(b.shape[:-2]), b.shape[-1]
        m, k, n, weight, repeat = _batched_gemm(
            batch_a, m, k, batch_b, n, self._is_weight(a), self._is_weight(b)
        )
        self._record("matmul", [("", "matmul", m, k, n, weight, repeat)])

    def _linear(self, name: str, args: tuple, kwargs: dict, out: Any) -> None:
        x, w = _arg(args, kwargs, 0, "input"), _arg(args, kwargs, 1, "weight")
        m = _prod(x.shape[:-1])
        n = w.shape[0] if w.dim() == 2 else 1
        m, k, n, weight, repeat = _batched_gemm(
            (), m, x.shape[-1], (), n, self._is_weight(x), self._is_weight(w)
        )
        self._record("linear", [("", "linear", m, k, n, weight, repeat)])

    def _conv(self, name: str, args: tuple, kwargs: dict, out: Any) -> None:
        x, w = _arg(args, kwargs, 0, "input"), _arg(args, kwargs, 1, "weight")
        spatial = 1 if name == "conv1d" else 2
        batch = x.shape[0] if x.dim() == spatial + 2 else 1
        groups = x.shape[-spatial - 1] // w.shape[1]
        m = batch * _prod(out.shape[-spatial:])
        k = w.shape[1] * _prod(w.shape[2:])
        n = w.shape[0] // groups
        self._record("conv", [("", name, m, k, n, self._is_weight(w), groups)])

    def _attention(
        self, q: Any, k: Any, v: Any, gqa: bool
    ) -> list[tuple[str, str, int, int, int, bool, int]]:
        """The ``qk`` and ``av`` GEMMs of softmax(q k^T) v for q (..., L, E), k/v (..., S, *)."""
        batch_q, batch_k, batch_v = tuple(q.shape[:-2]), tuple(k.shape[:-2]), tuple(v.shape[:-2])
        length, group = q.shape[-2], 1
        if gqa and batch_q and batch_k and batch_q[-1] != batch_k[-1]:
            group = batch_q[-1] // batch_k[-1]
            batch_q = (*batch_q[:-1], batch_k[-1])
        parts = []
        for suffix, batch_b, inner, cols, b in (
            ("qk", batch_k, q.shape[-1], k.shape[-2], k),
            ("av", batch_v, k.shape[-2], v.shape[-1], v),
        ):
            m, inner, cols, weight, repeat = _batched_gemm(
                batch_q, length * group, inner, batch_b, cols, False, self._is_weight(b)
            )
            parts.append((suffix, "matmul", m, inner, cols, weight, repeat))
        return parts

    def _sdpa(self, name: str, args: tuple, kwargs: dict, out: Any) -> None:
        q, k, v = (_arg(args, kwargs, i, key) for i, key in enumerate(("query", "key", "value")))
        gqa = bool(kwargs.get("enable_gqa", args[7] if len(args) > 7 else False))
        self._record("sdpa", self._attention(q, k, v, gqa))

    def _mha(self, name: str, args: tuple, kwargs: dict, out: Any) -> None:
        from torch.nn import functional

        bound = inspect.signature(functional.multi_head_attention_forward).bind(*args, **kwargs)
        bound.apply_defaults()
        a = bound.arguments
        query, key, value = a["query"], a["key"], a["value"]
        batch = query.shape[1] if query.dim() == 3 else 1
        tgt, src, embed = query.shape[0], key.shape[0], query.shape[-1]
        heads = a["num_heads"]
        head_dim = embed // heads
        parts = []

        def proj(suffix: str, rows: int, inner: int, outer: int, w: Any) -> None:
            parts.append((suffix, "linear", rows, inner, outer, self._is_weight(w), 1))

        if not a["use_separate_proj_weight"]:
            w = a["in_proj_weight"]
            if key is value and query is key:
                proj("in_proj", tgt * batch, embed, 3 * embed, w)
            elif key is value:
                proj("in_proj_q", tgt * batch, embed, embed, w)
                proj("in_proj_kv", src * batch, embed, 2 * embed, w)
            else:
                for suffix, rows in (("in_proj_q", tgt), ("in_proj_k", src), ("in_proj_v", src)):
                    proj(suffix, rows * batch, embed, embed, w)
        else:
            for suffix, x, rows, w in (
                ("in_proj_q", query, tgt, a["q_proj_weight"]),
                ("in_proj_k", key, src, a["k_proj_weight"]),
                ("in_proj_v", value, src, a["v_proj_weight"]),
            ):
                proj(suffix, rows * batch, x.shape[-1], embed, w)
        extra = int(a["bias_k"] is not None) + int(bool(a["add_zero_attn"]))
        src_k = (a["static_k"].shape[1] if a["static_k"] is not None else src) + extra
        src_v = (a["static_v"].shape[1] if a["static_v"] is not None else src) + extra
        repeat = batch * heads
        parts.append(("qk", "matmul", tgt, head_dim, src_k, False, repeat))
        parts.append(("av", "matmul", tgt, src_v, head_dim, False, repeat))
        proj("out_proj", tgt * batch, embed, embed, a["out_proj_weight"])
        self._record("mha", parts)

    def _unrecorded(self, name: str, args: tuple, kwargs: dict, out: Any) -> None:
        if name not in self.warned:
            self.warned.add(name)
            where = self.stack[-1].label
            warnings.warn(
                f"Workload.from_torch does not record {name} (first at {where or '<root>'!r}); "
                "its MACs are missing from the workload",
                stacklevel=2,
            )

    # naming, once the forward is done
    def layers(self) -> list[Layer]:
        named: list[Layer] = []
        taken: set[str] = set()
        for call in self.calls:
            scope = call.scope
            whole = len(scope.calls) == 1 and not scope.nested and not scope.is_root
            base = scope.label if whole else ".".join(
                part for part in (scope.label, f"{call.op}{call.index}") if part
            )
            for suffix, kind, m, k, n, weight, repeat in call.parts:
                name = f"{base}.{suffix}" if suffix else base
                unique, count = name, 1
                while unique in taken:
                    count += 1
                    unique = f"{name}#{count}"
                taken.add(unique)
                named.append(Layer(unique, kind, m, k, n, weight, repeat))
        return named

