"""models.workload: Layer / Workload records and GEMMs recorded from torch modules.

Every expected shape is counted by hand in the test (output sizes from the conv formula
floor((L + 2p - d(k - 1) - 1) / s) + 1), never taken from the code under test.
"""

import warnings

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional

from models.workload import Layer, Workload


def shapes(workload: Workload) -> dict[str, tuple]:
    """name -> (kind, m, k, n, weight, repeat), for comparing with hand counts."""
    return {lay.name: (lay.kind, lay.m, lay.k, lay.n, lay.weight, lay.repeat) for lay in workload}


# --- records -------------------------------------------------------------------------------


def test_layer_macs_and_validation():
    layer = Layer("fc", "linear", 10, 8, 3, True, repeat=2)
    assert layer.macs == 10 * 8 * 3 * 2
    assert Layer("x", "matmul", np.int64(4), 5, 6, np.bool_(False)).m == 4
    for bad in (
        dict(m=0), dict(k=-1), dict(n=2.5), dict(repeat=0), dict(m=True), dict(kind="conv3d"),
        dict(name=""), dict(weight=1),
    ):
        fields = dict(name="l", kind="linear", m=1, k=1, n=1, weight=True, repeat=1) | bad
        with pytest.raises(ValueError) as info:
            Layer(**fields)
        assert "\n" not in str(info.value)


def test_workload_columns_lookup_and_frame():
    layers = (Layer("a", "linear", 10, 8, 3, True), Layer("b", "matmul", 5, 4, 5, False, 8))
    workload = Workload("toy", list(layers), "two layers")
    assert workload.layers == layers and len(workload) == 2
    assert [lay.name for lay in workload] == ["a", "b"]
    assert workload.macs == 10 * 8 * 3 + 5 * 4 * 5 * 8
    cols = workload.arrays()
    assert cols["m"].dtype == np.int64 and cols["weight"].dtype == bool
    np.testing.assert_array_equal(cols["m"], [10, 5])
    np.testing.assert_array_equal(cols["k"], [8, 4])
    np.testing.assert_array_equal(cols["n"], [3, 5])
    np.testing.assert_array_equal(cols["repeat"], [1, 8])
    np.testing.assert_array_equal(cols["weight"], [True, False])
    assert workload.layer("b") is layers[1]
    with pytest.raises(KeyError) as info:
        workload.layer("c")
    assert "'c'" in str(info.value) and "a, b" in str(info.value)
    assert "\n" not in str(info.value)
    frame = workload.to_frame()
    assert list(frame.columns) == ["name", "kind", "m", "k", "n", "weight", "repeat", "macs"]
    assert frame["macs"].tolist() == [240, 800]
    assert frame["name"].tolist() == ["a", "b"]


def test_workload_rejects_repeated_names():
    with pytest.raises(ValueError, match="repeated"):
        Workload("toy", (Layer("a", "linear", 1, 1, 1, True), Layer("a", "linear", 1, 1, 1, True)))
    with pytest.raises(ValueError):
        Workload("toy", ("not a layer",))


# --- from_torch: linear and conv -----------------------------------------------------------


def test_linear_on_3d_input_is_one_gemm():
    net = nn.Sequential(nn.Linear(8, 3))
    workload = Workload.from_torch(net, torch.randn(2, 5, 8))
    # M = 2 x 5 rows; recorded once (not again as the matmul F.linear lowers to)
    assert shapes(workload) == {"0": ("linear", 10, 8, 3, True, 1)}
    assert workload.name == "Sequential"
    assert workload.macs == 10 * 8 * 3


def test_conv2d_stride_padding_dilation_groups():
    net = nn.Sequential(
        nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=2),
        nn.Conv2d(6, 12, (3, 5), padding=(1, 2), groups=3),
        nn.Conv2d(12, 12, 3, padding=1, groups=12),            # depthwise
    )
    workload = Workload.from_torch(net, torch.randn(2, 4, 11, 13))
    # first: H = (11 + 2 - 4 - 1) // 2 + 1 = 5, W = (13 + 2 - 4 - 1) // 2 + 1 = 6
    # second: same padding, 5 x 6 out; K = (6 / 3) x 3 x 5 = 30, N = 12 / 3 = 4, 3 groups
    # depthwise: K = 1 x 9, N = 1, 12 groups
    assert shapes(workload) == {
        "0": ("conv2d", 2 * 5 * 6, 4 * 9, 6, True, 1),
        "1": ("conv2d", 2 * 5 * 6, 30, 4, True, 3),
        "2": ("conv2d", 2 * 5 * 6, 9, 1, True, 12),
    }
    assert workload.macs == 60 * 36 * 6 + 60 * 30 * 4 * 3 + 60 * 9 * 12


def test_conv1d_batched_and_unbatched():
    conv = nn.Conv1d(6, 10, 5, stride=3, padding=2, groups=2)
    # L = (20 + 4 - 4 - 1) // 3 + 1 = 7; K = 3 x 5; N = 10 / 2
    assert shapes(Workload.from_torch(nn.Sequential(conv), torch.randn(3, 6, 20))) == {
        "0": ("conv1d", 21, 15, 5, True, 2)
    }
    assert shapes(Workload.from_torch(nn.Sequential(conv), torch.randn(6, 20))) == {
        "0": ("conv1d", 7, 15, 5, True, 2)
    }


# --- from_torch: matmuls and attention -----------------------------------------------------


class MatmulAttention(nn.Module):
    """Eager attention with torch.matmul: 2 heads of 4 on d 8."""

    def __init__(self):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(8, 8), nn.Linear(8, 8), nn.Linear(8, 8)

    def forward(self, x):
        b, t, d = x.shape

        def split(y):
            return y.view(b, t, 2, 4).transpose(1, 2)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        p = torch.matmul(q, k.transpose(-1, -2)).softmax(-1)
        return (p @ v).transpose(1, 2).reshape(b, t, d)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = MatmulAttention()
        self.out = nn.Linear(8, 8)

    def forward(self, x):
        return self.out(self.attn(x))


def test_attention_with_torch_matmul():
    workload = Workload.from_torch(Block(), torch.randn(3, 5, 8))
    # batch 3 x 2 heads independent GEMMs; QK^T: (5 x 4) x (4 x 5), PV: (5 x 5) x (5 x 4)
    assert shapes(workload) == {
        "attn.q": ("linear", 15, 8, 8, True, 1),
        "attn.k": ("linear", 15, 8, 8, True, 1),
        "attn.v": ("linear", 15, 8, 8, True, 1),
        "attn.matmul0": ("matmul", 5, 4, 5, False, 6),
        "attn.matmul1": ("matmul", 5, 5, 4, False, 6),
        "out": ("linear", 15, 8, 8, True, 1),
    }
    assert [lay.name for lay in workload][3:5] == ["attn.matmul0", "attn.matmul1"]


class SDPA(nn.Module):
    def forward(self, q, k, v, gqa=False):
        return functional.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=gqa)


def test_sdpa_gqa_folds_query_groups_into_m():
    q, k, v = torch.randn(2, 8, 5, 16), torch.randn(2, 2, 7, 16), torch.randn(2, 2, 7, 12)
    workload = Workload.from_torch(SDPA(), (q, k, v, True))
    # 8 query heads share 2 K/V heads: groups of 4 fold into M = 5 x 4; repeat = 2 x 2
    assert shapes(workload) == {
        "sdpa0.qk": ("matmul", 20, 16, 7, False, 4),
        "sdpa0.av": ("matmul", 20, 7, 12, False, 4),
    }
    # causal counted as the full square: the MACs of 2 x 8 heads of (5x16)(16x7) + (5x7)(7x12)
    assert workload.macs == 2 * 8 * (5 * 16 * 7 + 5 * 7 * 12)


def test_sdpa_broadcast_kv_and_plain():
    q = torch.randn(2, 8, 5, 16)
    kv = torch.randn(2, 1, 7, 16)                  # one K/V head broadcast over 8 (MQA)
    assert shapes(Workload.from_torch(SDPA(), (q, kv, kv))) == {
        "sdpa0.qk": ("matmul", 40, 16, 7, False, 2),
        "sdpa0.av": ("matmul", 40, 7, 16, False, 2),
    }
    k, v = torch.randn(2, 8, 7, 16), torch.randn(2, 8, 7, 16)
    assert shapes(Workload.from_torch(SDPA(), (q, k, v))) == {
        "sdpa0.qk": ("matmul", 5, 16, 7, False, 16),
        "sdpa0.av": ("matmul", 5, 7, 16, False, 16),
    }


class WeightFirst(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(6, 8))

    def forward(self, x, y):
        a = self.w @ x                 # (6 x 8) x (8 x 3): weight is A -> transposed
        b = torch.matmul(self.w, y)    # (6 x 8) x (4, 8, 3): broadcast weight A
        c = y.transpose(-1, -2) @ self.w.T          # derived weight (W^T) as B
        d = torch.mm(x.T, self.w.t())
        return a, b, c, d


def test_weight_is_always_operand_b():
    workload = Workload.from_torch(WeightFirst(), (torch.randn(8, 3), torch.randn(4, 8, 3)))
    assert shapes(workload) == {
        "matmul0": ("matmul", 3, 8, 6, True, 1),        # C^T = x^T W^T
        "matmul1": ("matmul", 4 * 3, 8, 6, True, 1),    # W shared by the 4 batches: M = 12
        "matmul2": ("matmul", 4 * 3, 8, 6, True, 1),
        "matmul3": ("matmul", 3, 8, 6, True, 1),
    }


class Batched(nn.Module):
    def forward(self, a, b, c):
        return (
            torch.bmm(a, b),
            torch.baddbmm(torch.zeros(3, 4, 6), a, b),
            torch.addmm(torch.zeros(6), a[0], b[0]),
            a.unsqueeze(0) @ c,        # (1, 3, 4, 5) x (2, 1, 5, 6): broadcast batch 2 x 3
        )


def test_bmm_baddbmm_addmm_and_broadcast_batches():
    a, b, c = torch.randn(3, 4, 5), torch.randn(3, 5, 6), torch.randn(2, 1, 5, 6)
    assert shapes(Workload.from_torch(Batched(), (a, b, c))) == {
        "matmul0": ("matmul", 4, 5, 6, False, 3),
        "matmul1": ("matmul", 4, 5, 6, False, 3),
        "matmul2": ("matmul", 4, 5, 6, False, 1),
        # B is size 1 over the batch of 3 (shared): 3 folds into M; the batch of 2 repeats
        "matmul3": ("matmul", 4 * 3, 5, 6, False, 2),
    }


class Twice(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.w = nn.Parameter(torch.randn(3, 4))

    def forward(self, x):
        y = self.fc(self.fc(x))
        return functional.linear(y, self.w), functional.linear(y, self.w)


def test_module_called_twice_and_functional_names():
    workload = Workload.from_torch(Twice(), torch.randn(2, 4))
    assert shapes(workload) == {
        "fc": ("linear", 2, 4, 4, True, 1),
        "fc#2": ("linear", 2, 4, 4, True, 1),
        "linear0": ("linear", 2, 4, 3, True, 1),
        "linear1": ("linear", 2, 4, 3, True, 1),
    }


class WithMHA(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(32, 4, batch_first=True)

    def forward(self, x):
        return self.attn(x, x, x)[0]


def test_nn_multihead_attention():
    workload = Workload.from_torch(WithMHA(), torch.randn(2, 7, 32))
    # self-attention: one fused in-projection (N = 3 x 32); 2 x 4 heads of 8
    assert shapes(workload) == {
        "attn.in_proj": ("linear", 14, 32, 96, True, 1),
        "attn.qk": ("matmul", 7, 8, 7, False, 8),
        "attn.av": ("matmul", 7, 7, 8, False, 8),
        "attn.out_proj": ("linear", 14, 32, 32, True, 1),
    }


def test_meta_device_big_module_and_no_grad():
    class Check(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(65536, 65536, bias=False)   # 17 GB in fp32 if it were real

        def forward(self, x):
            assert not torch.is_grad_enabled()
            return self.fc(x)

    with torch.device("meta"):
        net = Check()
    workload = Workload.from_torch(net, {"x": torch.empty(4, 65536, device="meta")}, name="big")
    assert workload.name == "big"
    assert shapes(workload) == {"fc": ("linear", 4, 65536, 65536, True, 1)}


def test_unrecorded_gemm_warns():
    class Einsum(nn.Module):
        def forward(self, x):
            return torch.einsum("ij,jk->ik", x, x.T) + x @ x.T

    with pytest.warns(UserWarning, match="einsum"):
        workload = Workload.from_torch(Einsum(), torch.randn(3, 4))
    assert shapes(workload) == {"matmul0": ("matmul", 3, 4, 3, False, 1)}


def test_bad_input_errors_are_one_line():
    with pytest.raises(TypeError, match=r"nn\.Module, not function") as info:
        Workload.from_torch(lambda x: x, torch.randn(2))
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="forward of Sequential raised RuntimeError") as info:
        Workload.from_torch(nn.Sequential(nn.Linear(8, 3)), torch.randn(2, 5))
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="recorded no GEMM"):
        Workload.from_torch(nn.ReLU(), torch.randn(3))
    # hooks are gone afterwards: a second trace of the same module records the same
    net = nn.Sequential(nn.Linear(8, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = Workload.from_torch(net, torch.randn(2, 8))
        second = Workload.from_torch(net, torch.randn(2, 8))
    assert first == second
    assert not net[0]._forward_hooks and not net[0]._forward_pre_hooks
