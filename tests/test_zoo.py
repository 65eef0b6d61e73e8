"""models.zoo: every network's MACs and weights against published figures, and its structure.

Published figures are written here by hand (torchvision's model tables, the papers, the
Hugging Face parameter counts); where a figure is a formula, the formula is spelled out.
"""

from collections import Counter

import pytest

from models.zoo import ZOO, ZooError, zoo_names, zoo_workload

# name -> (published MACs, relative tolerance, why that tolerance)
PUBLISHED_MACS = {
    # torchvision tables print GFLOPS (multiply-adds) with 3 significant digits: +-0.3%
    "resnet18": (1.81e9, 0.005),
    "resnet50": (4.09e9, 0.005),
    "vit_b16": (17.56e9, 0.005),
    # Sandler et al. 2018 Table 4: "300M" multiply-adds, 1 significant figure: within 1%
    "mobilenet_v2": (300e6, 0.01),
    # formulas from the published architectures: exact up to float rounding
    # BERT-base, T = 128: 12 L T H^2 + 2 L T^2 H + H^2 (pooler on [CLS])
    "bert_base": (12 * 12 * 128 * 768**2 + 2 * 12 * 128**2 * 768 + 768**2, 1e-12),
    # Llama-2-7B: tokens x GEMM params + 2 x layers x d x tokens x keys (full square)
    "llama2_7b_prefill": (2048 * 6_607_077_376 + 2 * 32 * 4096 * 2048 * 2048, 1e-12),
    "llama2_7b_decode": (6_607_077_376 + 2 * 32 * 4096 * 1 * 2049, 1e-12),
}

# name -> (published parameter count, parameters that are not GEMM weights, by hand)
PUBLISHED_PARAMS = {
    # BN: 2 x 4,800 channels (64 + 2x2x64 + 2x2x128 + 128 + 2x2x256 + 256 + 2x2x512 + 512);
    # FC bias 1,000
    "resnet18": (11_689_512, 2 * 4_800 + 1_000),
    # BN: 2 x 26,560 channels (64 + 3x6x64 + 256 + 4x6x128 + 512 + 6x6x256 + 1024
    # + 3x6x512 + 2048); FC bias 1,000
    "resnet50": (25_557_032, 2 * 26_560 + 1_000),
    # BN: 2 x 17,056 channels (stem 32, 17 blocks: hidden + hidden + out, head 1280)
    "mobilenet_v2": (3_504_872, 2 * 17_056 + 1_000),
    # class token 768, positions 197x768, conv bias 768, per layer 2 LN (4 x 768) + biases
    # (2304 + 768 + 3072 + 768), final LN 2 x 768, head bias 1000
    "vit_b16": (86_567_656, 768 + 197 * 768 + 768 + 12 * (4 * 768 + 6912) + 2 * 768 + 1000),
    # embeddings (30522 + 512 + 2) x 768 + LN 2 x 768, per layer biases 4 x 768 + 3072 + 768
    # and 2 LN (4 x 768), pooler bias 768
    "bert_base": (109_482_240, 31_036 * 768 + 2 * 768 + 12 * (6_912 + 4 * 768) + 768),
    # token embedding 32000 x 4096, RMSNorm 2 x 32 + 1 vectors of 4096
    "llama2_7b_prefill": (6_738_415_616, 32000 * 4096 + 65 * 4096),
    "llama2_7b_decode": (6_738_415_616, 32000 * 4096 + 65 * 4096),
}


def test_zoo_names_and_errors():
    assert zoo_names() == [
        "resnet18", "resnet50", "mobilenet_v2", "vit_b16", "bert_base",
        "llama2_7b_prefill", "llama2_7b_decode",
    ]
    with pytest.raises(ZooError) as info:
        zoo_workload("foo")
    assert str(info.value) == (
        "unknown network 'foo'; known: resnet18, resnet50, mobilenet_v2, vit_b16, bert_base, "
        "llama2_7b_prefill, llama2_7b_decode"
    )
    assert isinstance(info.value, ValueError)
    assert zoo_workload("resnet18") is zoo_workload("resnet18")      # cached


@pytest.mark.parametrize("name", list(PUBLISHED_MACS))
def test_macs_match_published(name):
    published, tolerance = PUBLISHED_MACS[name]
    entry = ZOO[name]
    assert entry.published_macs == pytest.approx(published, rel=1e-12)
    assert entry.published_source and entry.description
    workload = zoo_workload(name)
    assert workload.name == name
    assert workload.macs == pytest.approx(published, rel=tolerance)


@pytest.mark.parametrize("name", list(PUBLISHED_PARAMS))
def test_parameters_and_gemm_weights_match_published(name):
    published, non_gemm = PUBLISHED_PARAMS[name]
    entry = ZOO[name]
    assert entry.published_params == published
    net, _ = entry.module()
    assert sum(p.numel() for p in net.parameters()) == published     # same architecture
    weights = sum(lay.k * lay.n * lay.repeat for lay in zoo_workload(name) if lay.weight)
    assert weights == published - non_gemm                           # each weight once


def kinds(name):
    return Counter(lay.kind for lay in zoo_workload(name))


def test_resnets():
    assert kinds("resnet50") == {"conv2d": 53, "linear": 1}   # 1 + 16 x 3 + 4 downsample
    assert kinds("resnet18") == {"conv2d": 20, "linear": 1}   # 1 + 8 x 2 + 3 downsample
    for name in ("resnet18", "resnet50"):
        w = zoo_workload(name)
        conv1 = w.layer("conv1")                # 7x7/2 on 224: 112 x 112 outputs
        assert (conv1.m, conv1.k, conv1.n, conv1.repeat) == (112 * 112, 3 * 49, 64, 1)
        assert all(lay.weight for lay in w)
    assert (zoo_workload("resnet50").layer("fc").m, zoo_workload("resnet50").layer("fc").k) == (
        1, 2048)
    last = zoo_workload("resnet50").layer("layer4.2.conv2")     # 3x3 on 7 x 7, 512 channels
    assert (last.m, last.k, last.n) == (49, 512 * 9, 512)


def test_mobilenet_v2_depthwise():
    w = zoo_workload("mobilenet_v2")
    assert kinds("mobilenet_v2") == {"conv2d": 52, "linear": 1}
    depthwise = [lay for lay in w if lay.repeat > 1]
    assert len(depthwise) == 17                                  # one per inverted residual
    assert all(lay.k == 9 and lay.n == 1 for lay in depthwise)
    assert sum(lay.repeat for lay in depthwise) == 32 + 96 + 144 * 2 + 192 * 3 + 384 * 4 + (
        576 * 3) + 960 * 3


def test_vit_b16():
    w = zoo_workload("vit_b16")
    assert len(w) == 1 + 12 * 6 + 1
    patches = w.layer("conv_proj")
    assert (patches.m, patches.k, patches.n) == (196, 3 * 256, 768)
    attention = [lay for lay in w if not lay.weight]
    assert len(attention) == 24
    qk = w.layer("encoder.layers.0.attn.sdpa0.qk")
    assert (qk.m, qk.k, qk.n, qk.repeat) == (197, 64, 197, 12)
    qkv = w.layer("encoder.layers.11.attn.qkv")
    assert (qkv.m, qkv.k, qkv.n) == (197, 768, 3 * 768)
    head = w.layer("heads.head")
    assert (head.m, head.k, head.n) == (1, 768, 1000)            # class token only


def test_bert_base():
    w = zoo_workload("bert_base")
    assert kinds("bert_base") == {"linear": 12 * 6 + 1, "matmul": 12 * 2}
    qk = w.layer("encoder.layer.3.attention.self.matmul0")
    av = w.layer("encoder.layer.3.attention.self.matmul1")
    assert (qk.m, qk.k, qk.n, qk.repeat, qk.weight) == (128, 64, 128, 12, False)
    assert (av.m, av.k, av.n, av.repeat, av.weight) == (128, 128, 64, 12, False)
    pooler = w.layer("pooler.dense")
    assert (pooler.m, pooler.k, pooler.n) == (1, 768, 768)
    assert all(lay.m == 128 for lay in w if lay.kind == "linear" and lay.name != "pooler.dense")


def test_llama2_7b_prefill():
    w = zoo_workload("llama2_7b_prefill")
    assert len(w) == 32 * 9 + 1
    assert all(lay.m == 2048 for lay in w)
    qk = w.layer("model.layers.0.self_attn.sdpa0.qk")
    assert (qk.k, qk.n, qk.repeat) == (128, 2048, 32)                # full causal square
    gate = w.layer("model.layers.31.mlp.gate_proj")
    assert (gate.k, gate.n) == (4096, 11008)
    head = w.layer("lm_head")
    assert (head.m, head.k, head.n) == (2048, 4096, 32000)           # over all tokens


def test_llama2_7b_decode():
    prefill, decode = zoo_workload("llama2_7b_prefill"), zoo_workload("llama2_7b_decode")
    assert [lay.name for lay in decode] == [lay.name for lay in prefill]
    assert all(lay.m == 1 for lay in decode)                         # one new token
    for new, old in zip(decode, prefill, strict=True):
        if new.weight:                                               # same weights, M = 1
            assert (new.k, new.n) == (old.k, old.n)
    qk = decode.layer("model.layers.5.self_attn.sdpa0.qk")
    av = decode.layer("model.layers.5.self_attn.sdpa0.av")
    assert (qk.k, qk.n, qk.repeat) == (128, 2049, 32)                # 2,048 cached + itself
    assert (av.k, av.n, av.repeat) == (2049, 128, 32)
