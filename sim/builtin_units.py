"""lowbit's own hardware units, each declared once (the registry is :mod:`sim.units`).

Which formats a unit takes comes from ``FormatSpec`` fields (``kind``, ``bits``,
``is_block``, ``tensor_scale``, ...), so every format the hardware supports is accepted,
e.g. any posit<n, es> with n <= 16 (posit32's 512-bit quire is not simulated). Hardware
modules are imported only when a unit is built.
"""

from __future__ import annotations

from golden.formats import FormatSpec, get_format, posit
from sim.protocol import RunRequest
from sim.units import Case, Unit, register

# ----- format predicates ----------------------------------------------------------------------


def _ieee_float(s: FormatSpec) -> bool:
    """IEEE-style floats: signed, subnormals, Inf and IEEE NaNs (fp16, bf16, fp32, fp8_e5m2)."""
    return (s.kind == "float" and s.signed and s.subnormals and s.inf and s.nan == "ieee"
            and s.precision <= 25)


def _int_arith(s: FormatSpec) -> bool:
    """Full-range two's complement integers of 4..32 bits (int4, int8, int{n}): results of
    add (n + 1 bits) and mul (2n bits) fit the scoreboard's 64-bit checks."""
    return (s.kind == "int" and s.scale_exp == 0 and s.int_min == -(1 << (s.bits - 1))
            and 4 <= s.bits <= 32)


def _element(s: FormatSpec) -> bool:
    """Signed float / int / bin1 element formats of <= 8 bits (the scalar MAC's operands)."""
    return s.kind in ("float", "int", "bin1") and s.bits <= 8 and s.signed


def _posit(s: FormatSpec) -> bool:
    return s.kind == "posit" and s.bits <= 16


def _mx(s: FormatSpec) -> bool:
    return s.is_block and not s.tensor_scale


def _block_pair(a: FormatSpec, b: FormatSpec) -> bool:
    """Two block formats one block unit can multiply: the same block size and scale; a
    tensor-scaled format (NVFP4) only with itself."""
    if not (a.is_block and b.is_block):
        return False
    if a.tensor_scale or b.tensor_scale:
        return a == b
    return a.block_size == b.block_size and a.scale == b.scale


def _lut_weight(s: FormatSpec) -> bool:
    from hw.lut.weights import weight_int

    try:
        weight_int(s)
    except ValueError:
        return False
    return True


def _fb(req: RunRequest) -> FormatSpec | None:
    return None if req.format_b is None else get_format(req.format_b)


def _kw(req: RunRequest) -> dict[str, object]:
    return {} if req.mutation is None else {"mutation": req.mutation}


def _block_lanes(s: FormatSpec) -> tuple[int, int, int] | None:
    return (1, s.block_size, s.block_size) if s.is_block else None


# ----- scalar MAC (element formats and posits) ------------------------------------------------


def _mac_takes(s: FormatSpec) -> bool:
    return _element(s) or _posit(s)


def _mac_pairs(a: FormatSpec, b: FormatSpec) -> bool:
    return a == b or (_element(a) and _element(b))


def _mac_component(req: RunRequest):
    from hw.fp.mac import ScalarMac

    return ScalarMac(fmt_a=req.format, fmt_b=_fb(req), **_kw(req))


def _mac_job(req: RunRequest):
    if get_format(req.format).kind == "posit":  # the quire's exact semantics, not fp32 FMA
        from verif.posit_jobs import posit_mac_job

        return posit_mac_job(req.format, req.vectors, req.seed, req.stimulus)
    from verif.jobs import mac_job

    return mac_job(req.format, req.format_b, req.vectors, req.seed, req.stimulus)


def _mac_mutations(s: FormatSpec) -> tuple[str, ...]:
    if s.kind == "posit":
        from hw.posit.mac import MAC_MUTATIONS as POSIT_MUTATIONS

        return POSIT_MUTATIONS
    from hw.fp.mac import _INT_MUTATIONS, MAC_MUTATIONS

    return _INT_MUTATIONS if s.kind in ("int", "bin1") else MAC_MUTATIONS


_EXHAUSTIVE_MACS = ("fp4_e2m1", "fp6_e2m3", "fp6_e3m2", "fp8_e4m3", "fp8_e5m2", "int8", "int4",
                    "int2", "ternary", "bin1", "posit8", "posit4_es1", "posit8_es0")
register(Unit(
    name="mac", family="fp", summary="scalar multiply-accumulate: exact product, fused fp32 "
    "accumulation, exact int32 (wrap), or a posit quire; latency 2",
    takes=_mac_takes, pairs=_mac_pairs, component=_mac_component, job=_mac_job, stimulus=True,
    formats_note="posit{n}_es{es} for n <= 16",
    vectors="every (a, b) code pair when <= 2^20 (65,536 for 8-bit formats), else "
    "4,096 corners + random (posit16: directed and random quire chains)",
    mutations=_mac_mutations,
    cases=(
        Case("fp8_e4m3", quick=True), Case("int8", quick=True),
        Case("fp4_e2m1", "int8", quick=True), Case("posit8", quick=True),
        *[Case(f) for f in _EXHAUSTIVE_MACS if f not in ("fp8_e4m3", "int8", "posit8")],
        Case("fp8_e5m2", "fp8_e4m3"), Case("posit16"), Case("posit16_es1"),
        Case("posit12_es1", vectors=20000),
        *[Case("fp8_e4m3", mutation=m) for m in
          ("truncate", "drop_sticky", "no_jam", "cancel_sign", "ignore_first")],
        Case("int8", mutation="ignore_first"), Case("posit8", mutation="truncate"),
        Case("posit8", mutation="ignore_first"), Case("posit4_es1", mutation="regime"),
        # gate level: the synthesized netlist scored against golden (synthesis kept the
        # function), every code pair of each MAC format
        Case("int4", level="gate", quick=True),
        *[Case(f, level="gate") for f in _EXHAUSTIVE_MACS if f != "int4"],
        Case("posit16", level="gate"))))


# ----- block dot units (MX, NVFP4) ------------------------------------------------------------


def _dot_component(req: RunRequest):
    spec = get_format(req.format)
    if spec.tensor_scale:
        from hw.block.nvfp4_dot import Nvfp4Dot

        return Nvfp4Dot(lanes=req.lanes, **_kw(req))
    from hw.block.mx_dot import MxDot

    return MxDot(fmt_a=spec, fmt_b=_fb(req), lanes=req.lanes, **_kw(req))


def _dot_job(req: RunRequest):
    from verif.jobs import dot_job

    return dot_job(req.format, req.format_b, req.vectors, req.seed, req.lanes, req.stimulus)


def _dot_mutations(s: FormatSpec) -> tuple[str, ...]:
    from hw.block.mx_dot import MX_DOT_MUTATIONS

    return MX_DOT_MUTATIONS


_BLOCKS = ("mxfp4", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp8_e4m3", "mxfp8_e5m2", "mxint8", "nvfp4")
register(Unit(
    name="dot", family="block", summary="block dot product: exact products and sum, scales, "
    "one RNE to fp32, fp32 accumulation (MxDot; Nvfp4Dot with tensor scales)",
    takes=lambda s: s.is_block, pairs=_block_pair, component=_dot_component, job=_dot_job,
    stimulus=True,
    vectors="directed corner blocks + 3,000 seeded random blocks",
    mutations=_dot_mutations, lanes=_block_lanes,
    cases=(
        *[Case(f, vectors=1000, lanes=4, quick=True) for f in
          ("mxfp4", "mxfp8_e5m2", "mxint8", "nvfp4")],
        *[Case(f, vectors=10000) for f in _BLOCKS], Case("mxfp4", "mxfp8_e4m3", vectors=10000),
        Case("mxfp4", vectors=300, lanes=4, mutation="scale_bias", quick=True),
        *[Case("mxfp8_e4m3", vectors=3000, mutation=m) for m in ("drop_sticky", "truncate")],
        *[Case("nvfp4", vectors=3000, mutation=m) for m in
          ("truncate", "drop_sticky", "scale_bias")],
        *[Case(f, vectors=1000, level="gate") for f in _BLOCKS])))


# ----- scalar add / mul (registered after the MAC, which stays the default unit of int8) ----
# Scalar add / multiply of one format: IEEE-style floats (FloatAdd / FloatMul, fp32 included)
# and integers (IntAdd / IntMul). The component and its mutations come from one table keyed
# by (op, spec.kind).

_ARITH = {  # (op, spec.kind) -> ("module:class" of the unit, "module:name" of its mutations)
    ("add", "float"): ("hw.fp.float_add:FloatAdd", "hw.fp.float_add:ADD_MUTATIONS"),
    ("mul", "float"): ("hw.fp.float_mul:FloatMul", "hw.common.float_round:ROUND_MUTATIONS"),
    ("add", "int"): ("hw.fp.int_arith:IntAdd", "hw.fp.int_arith:INT_ADD_MUTATIONS"),
    ("mul", "int"): ("hw.fp.int_arith:IntMul", "hw.fp.int_arith:INT_MUL_MUTATIONS"),
}


def _load(path: str) -> object:
    import importlib

    mod, name = path.split(":")
    return getattr(importlib.import_module(mod), name)


def _arith_takes(s: FormatSpec) -> bool:
    return _ieee_float(s) or _int_arith(s)


def _arith_component(op: str):
    def make(req: RunRequest):
        spec = get_format(req.format)
        return _load(_ARITH[op, spec.kind][0])(fmt=spec, **_kw(req))
    return make


def _arith_job(op: str):
    def job(req: RunRequest):
        from verif.arith_jobs import binary_job

        return binary_job(op, req.format, req.vectors, req.seed,
                          stimulus=getattr(req, "stimulus", None))
    return job


def _arith_mutations(op: str):
    def mutations(spec: FormatSpec) -> tuple[str, ...]:
        entry = _ARITH.get((op, spec.kind))
        return _load(entry[1]) if entry else ()
    return mutations


_ARITH_FULL = ("fp32", "fp16", "bf16")  # 100,000 vectors each in make regress
_ARITH_ALL_PAIRS = ("fp8_e5m2", "int8", "int4")  # every (a, b) pair
_ARITH_WIDE_INTS = ("int16", "int32")
_ARITH_CASES = {
    "add": (Case("fp16", vectors=20000, quick=True),
            Case("fp32", vectors=4000, mutation="truncate", quick=True),
            *[Case("fp16", vectors=20000, mutation=m)
              for m in ("drop_sticky", "no_jam", "cancel_sign")],
            Case("int8", mutation="no_carry")),
    "mul": (Case("bf16", vectors=20000, quick=True),  # int8: at gate level in make test
            Case("fp32", vectors=4000, mutation="truncate"),
            Case("bf16", vectors=20000, mutation="drop_sticky"),
            Case("int16", vectors=4000, mutation="unsigned")),
}
for _op, _what in (("add", "adder"), ("mul", "multiplier")):
    _quick = {c.format for c in _ARITH_CASES[_op] if c.quick and not c.mutation}  # all pairs
    register(Unit(
        name=_op, family="fp",
        summary=f"scalar {_what}: IEEE-style floats rounded once (RNE, subnormals, NaN/Inf), "
        f"exact two's complement integers ({'n + 1' if _op == 'add' else '2n'}-bit result); "
        "latency 1",
        takes=_arith_takes, component=_arith_component(_op), job=_arith_job(_op),
        stimulus=True, formats_note="int{n} for 4 <= n <= 32",
        vectors="every (a, b) pair when <= 2^20 (65,536 for 8-bit formats), else 4,096: "
        "corners x corners, then seeded random (near exponents, exact ties)",
        mutations=_arith_mutations(_op),
        cases=(*_ARITH_CASES[_op],
               *[Case(f, vectors=100000) for f in _ARITH_FULL],
               *[Case(f) for f in _ARITH_ALL_PAIRS if f not in _quick],
               *[Case(f, vectors=20000) for f in _ARITH_WIDE_INTS])))


# ----- posit codec and rounding ---------------------------------------------------------------


def _posit_codec(req: RunRequest):
    from hw.posit.encode import PositCodec

    return PositCodec(fmt=req.format, **_kw(req))


def _posit_round(req: RunRequest):
    from hw.posit.encode import PositCodec

    spec = get_format(req.format)
    return PositCodec(fmt=spec, fmt_in=posit(spec.bits + 2, spec.es), **_kw(req))


def _codec_job(req: RunRequest):
    from verif.posit_jobs import posit_codec_job

    return posit_codec_job(req.format, req.vectors, req.seed)


def _round_job(req: RunRequest):
    from verif.posit_jobs import posit_rounding_job

    return posit_rounding_job(req.format, req.vectors, req.seed)[1]


def _codec_mutations(s: FormatSpec) -> tuple[str, ...]:
    # decode -> encode is exact, so a rounding bug cannot show on the codec: its tests
    # break the decoder; the rounding unit's break the encoder's rounding too.
    from hw.posit.decode import DECODE_MUTATIONS

    return DECODE_MUTATIONS


def _round_mutations(s: FormatSpec) -> tuple[str, ...]:
    from hw.posit.encode import CODEC_MUTATIONS

    return CODEC_MUTATIONS


_POSITS = ("posit8", "posit16", "posit4_es1", "posit8_es0", "posit16_es1")
register(Unit(
    name="codec", family="posit", summary="posit decode -> encode (the identity on every code)",
    takes=_posit, component=_posit_codec, job=_codec_job, formats_note="posit{n}_es{es} for "
    "n <= 16", vectors="every code", mutations=_codec_mutations,
    cases=(*[Case(f) for f in _POSITS], Case("posit4_es1", mutation="regime"))))
register(Unit(
    name="round", family="posit", summary="posit<n+2,es> -> posit<n,es> rounding (RNE on the "
    "bit pattern, saturating)", takes=_posit, component=_posit_round, job=_round_job,
    formats_note="posit{n}_es{es} for n <= 16",
    vectors="every posit<n+2,es> code when <= 2^20, else 65,536 seeded random codes",
    mutations=_round_mutations,
    cases=(*[Case(f) for f in _POSITS], Case("posit8", mutation="truncate"),
           Case("posit4_es1", mutation="regime"))))


# ----- GEMM engines ---------------------------------------------------------------------------


def _array_component(req: RunRequest):
    from verif.array_jobs import engine_for

    rows, cols = req.array
    return engine_for(req.format, req.format_b, req.lanes, rows=rows, cols=cols)


def _array_takes(s: FormatSpec) -> bool:
    return _element(s) or s.is_block


def _array_pairs(a: FormatSpec, b: FormatSpec) -> bool:
    return _mac_pairs(a, b) if not a.is_block else _block_pair(a, b)


register(Unit(
    name="array", family="array", summary="output-stationary systolic PE array with its GEMM "
    "controller and buffers; cycles checked against the cycle model",
    takes=_array_takes, pairs=_array_pairs, component=_array_component,
    testbench="verif.tb_array", engine="array", lanes=_block_lanes, stimulus=True,
    array=lambda s: (2, 2) if s.is_block else (4, 4),
    vectors="5 GEMM shapes: one tile, M and N not multiples of the array, K = 1, "
    "K below the array, large K",
    cases=(
        Case("int8", quick=True), Case("mxfp4", lanes=4, quick=True),
        *[Case(f) for f in ("int8", "fp8_e4m3", "fp8_e5m2", "int4", "fp4_e2m1", "mxfp4",
                            "mxfp8_e4m3", "mxint8", "nvfp4")])))


def _lut_component(cls_path: str):
    def make(req: RunRequest):
        import importlib

        from verif.lut_jobs import GROUP

        mod, name = cls_path.split(":")
        rows, cols = req.array
        return getattr(importlib.import_module(mod), name)(fmt_w=req.format, rows=rows,
                                                           cols=cols, g=GROUP)
    return make


_LUT_WEIGHTS = ("bin1", "ternary", "int2", "int4", "fp4_e2m1")
for _name, _cls, _what in (
        ("lut", "hw.lut.core:LutCore", "LUT tensor core: table symmetrization, bit-serial "
         "weight planes, lookups instead of multipliers"),
        ("lut_mac", "hw.lut.baseline:LutMacBaseline", "the LUT core's MAC baseline: g "
         "multipliers per cell, the same array and ports")):
    register(Unit(
        name=_name, family="lut", summary=f"{_what}; int8 activations",
        takes=_lut_weight, pairs=lambda w, a: a.name == "int8" or a == w,
        component=_lut_component(_cls), testbench="verif.tb_lut", engine=_name,
        array=lambda s: (4, 4), stimulus=True,
        vectors="one 21 x 37 x 19 GEMM (not multiples of the array or of g = 4)",
        cases=(*((Case("int4", quick=True),) if _name == "lut" else ()),
               *[Case(f) for f in _LUT_WEIGHTS])))
