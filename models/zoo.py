"""A zoo of reference networks as GEMM workloads, built in plain torch on the meta device.

Each entry of :data:`ZOO` is a :class:`ZooEntry`: a network written here in plain torch
(no torchvision, no transformers: same layer shapes, same parameter counts), built on the
``meta`` device (no memory for weights; a 7B-parameter network traces in about a
second) and turned into a :class:`~models.workload.Workload` by
:meth:`Workload.from_torch <models.workload.Workload.from_torch>`, with the published MAC and
parameter figures it is checked against (``tests/test_zoo.py``).

The networks (batch 1 throughout):

- ``resnet18``, ``resnet50``: He et al. 2016, torchvision's layout (ResNet-50 is v1.5: the
  stride of a bottleneck is on its 3x3 conv), ImageNet 224 x 224, final FC included.
- ``mobilenet_v2``: Sandler et al. 2018, width 1.0, torchvision's layout, 224 x 224, FC
  included; depthwise convs are ``repeat = channels`` GEMMs with N = 1.
- ``vit_b16``: Dosovitskiy et al. 2021 ViT-B/16 at 224 x 224: 196 patches + class token =
  197 tokens, 12 layers, d 768, MLP 3072, 12 heads; patch embedding as a 16 x 16 stride-16
  conv; fused QKV projection (one GEMM, N = 2304); classifier head on the class token only.
- ``bert_base``: Devlin et al. 2019 BERT-base (uncased vocabulary 30522) at 128 tokens: 12
  layers, d 768, 12 heads, FFN 3072; separate query/key/value projections; the pooler (one
  dense layer on the [CLS] token, M = 1). Embeddings are lookups, not GEMMs.
- ``llama2_7b_prefill``: Touvron et al. 2023 Llama-2-7B on a 2,048-token prompt: d 4096, 32
  layers, 32 heads of 128 (no GQA at 7B), SwiGLU MLP 11008, vocabulary 32000. The lm_head
  runs over all 2,048 tokens (what a plain forward computes, and what the 2 x params x
  tokens rule counts; a server that keeps only the last token's logits saves 2,047 rows of
  it, 1.8% of the MACs).
- ``llama2_7b_decode``: one new token after a 2,048-token prompt: every projection and the
  lm_head have M = 1 (K and V are projected for the new token only; the cache holds the
  rest). Attention spans 2,049 keys: the 2,048 cached ones plus the new token's own, which
  is appended to the cache before attention (a causal decoder attends to itself).

MAC conventions (those of :mod:`models.workload`): a MAC is one multiply-add of a GEMM;
non-GEMM work (norms, softmax, activations, pooling, residual adds, rotary embeddings,
embedding lookups, biases) is not counted. Causal attention is counted as the full square
(L x S for QK^T and for PV), which is what hardware without sparsity support computes.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional

from models.workload import Workload

__all__ = ["ZOO", "ZooEntry", "ZooError", "zoo_names", "zoo_workload"]


class ZooError(ValueError):
    """An unknown network name (the message lists the known ones)."""


@dataclass(frozen=True)
class ZooEntry:
    """One reference network of the zoo.

    Attributes
    ----------
    name : str
        Key in :data:`ZOO` and name of the workload.
    description : str
        What the network is, at which input shape.
    published_macs : float
        Multiply-accumulates of one forward pass as published (or derived from published
        figures by the formula in ``published_source``).
    published_source : str
        Where ``published_macs`` comes from: paper, table, tool, or formula used.
    published_params : int
        Parameter count as published (every parameter, GEMM or not).
    params_source : str
        Where ``published_params`` comes from.
    module : Callable[[], tuple[nn.Module, tuple]]
        Builds the network on the meta device and its example inputs (positional).
    build : Callable[[], Workload]
        Traces ``module()`` into its workload (:func:`zoo_workload` caches it).
    """

    name: str
    description: str
    published_macs: float
    published_source: str
    published_params: int
    params_source: str
    module: Callable[[], tuple[nn.Module, tuple]]
    build: Callable[[], Workload]


# --- ResNet (torchvision layout) ---------------------------------------------------------


class _BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int, downsample: nn.Module | None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = functional.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return functional.relu(out + identity)


class _Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int, downsample: nn.Module | None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = functional.relu(self.bn1(self.conv1(x)))
        out = functional.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return functional.relu(out + identity)


class _ResNet(nn.Module):
    def __init__(self, block: type, depths: tuple[int, ...], classes: int = 1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = 64
        for index, (planes, depth) in enumerate(zip((64, 128, 256, 512), depths, strict=True)):
            stride = 1 if index == 0 else 2
            blocks = []
            for b in range(depth):
                downsample = None
                if b == 0 and (stride != 1 or inplanes != planes * block.expansion):
                    downsample = nn.Sequential(
                        nn.Conv2d(inplanes, planes * block.expansion, 1, stride, bias=False),
                        nn.BatchNorm2d(planes * block.expansion),
                    )
                blocks.append(block(inplanes, planes, stride if b == 0 else 1, downsample))
                inplanes = planes * block.expansion
            setattr(self, f"layer{index + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(512 * block.expansion, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(functional.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(functional.adaptive_avg_pool2d(x, 1), 1))


def _image() -> torch.Tensor:
    return torch.empty(1, 3, 224, 224, device="meta")


def _resnet18() -> tuple[nn.Module, tuple]:
    with torch.device("meta"):
        return _ResNet(_BasicBlock, (2, 2, 2, 2)).eval(), (_image(),)


def _resnet50() -> tuple[nn.Module, tuple]:
    with torch.device("meta"):
        return _ResNet(_Bottleneck, (3, 4, 6, 3)).eval(), (_image(),)


# --- MobileNetV2 (torchvision layout, width 1.0) -----------------------------------------


def _conv_bn_relu6(inp: int, oup: int, kernel: int, stride: int = 1, groups: int = 1):
    return nn.Sequential(
        nn.Conv2d(inp, oup, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(oup),
        nn.ReLU6(inplace=True),
    )


class _InvertedResidual(nn.Module):
    def __init__(self, inp: int, oup: int, stride: int, expand: int):
        super().__init__()
        hidden = inp * expand
        self.use_res_connect = stride == 1 and inp == oup
        layers = [] if expand == 1 else [_conv_bn_relu6(inp, hidden, 1)]
        layers += [
            _conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden),
            nn.Conv2d(hidden, oup, 1, bias=False),
            nn.BatchNorm2d(oup),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class _MobileNetV2(nn.Module):
    # (expansion t, channels c, repeats n, first stride s): Sandler et al. 2018, Table 2
    SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1))

    def __init__(self, classes: int = 1000):
        super().__init__()
        features: list[nn.Module] = [_conv_bn_relu6(3, 32, 3, 2)]
        inp = 32
        for t, c, n, s in self.SETTINGS:
            for i in range(n):
                features.append(_InvertedResidual(inp, c, s if i == 0 else 1, t))
                inp = c
        features.append(_conv_bn_relu6(inp, 1280, 1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = functional.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


def _mobilenet_v2() -> tuple[nn.Module, tuple]:
    with torch.device("meta"):
        return _MobileNetV2().eval(), (_image(),)


# --- ViT-B/16 ------------------------------------------------------------------------------


class _ViTAttention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, dim = x.shape
        qkv = self.qkv(x).view(batch, tokens, 3, self.heads, dim // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        out = functional.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(batch, tokens, dim))


class _MLP(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(functional.gelu(self.fc1(x)))


class _ViTBlock(nn.Module):
    def __init__(self, dim: int, heads: int, hidden: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = _ViTAttention(dim, heads)
        self.ln_2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = _MLP(dim, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class _ViTEncoder(nn.Module):
    def __init__(self, tokens: int, dim: int, depth: int, heads: int, hidden: int):
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.empty(1, tokens, dim))
        self.layers = nn.Sequential(*(_ViTBlock(dim, heads, hidden) for _ in range(depth)))
        self.ln = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln(self.layers(x + self.pos_embedding))


class _ViT(nn.Module):
    def __init__(self, image: int = 224, patch: int = 16, dim: int = 768, depth: int = 12,
                 heads: int = 12, hidden: int = 3072, classes: int = 1000):
        super().__init__()
        self.conv_proj = nn.Conv2d(3, dim, patch, patch)
        self.class_token = nn.Parameter(torch.empty(1, 1, dim))
        self.encoder = _ViTEncoder((image // patch) ** 2 + 1, dim, depth, heads, hidden)
        self.heads = nn.Sequential()
        self.heads.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_proj(x).flatten(2).transpose(1, 2)          # (batch, 196, dim)
        x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)
        return self.heads(self.encoder(x)[:, 0])


def _vit_b16() -> tuple[nn.Module, tuple]:
    with torch.device("meta"):
        return _ViT().eval(), (_image(),)


# --- BERT-base -----------------------------------------------------------------------------


class _BertEmbeddings(nn.Module):
    def __init__(self, vocab: int, dim: int, positions: int, types: int):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, dim)
        self.position_embeddings = nn.Embedding(positions, dim)
        self.token_type_embeddings = nn.Embedding(types, dim)
        self.LayerNorm = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)[None]
        x = self.word_embeddings(ids) + self.position_embeddings(positions)
        return self.LayerNorm(x + self.token_type_embeddings(torch.zeros_like(ids)))


class _BertSelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, dim = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, tokens, self.heads, dim // self.heads).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(dim // self.heads)
        out = torch.matmul(scores.softmax(-1), v)                  # eager attention, as HF
        return out.transpose(1, 2).reshape(batch, tokens, dim)


class _BertDenseNorm(nn.Module):
    def __init__(self, inp: int, dim: int):
        super().__init__()
        self.dense = nn.Linear(inp, dim)
        self.LayerNorm = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(x) + residual)


class _BertAttention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.self = _BertSelfAttention(dim, heads)
        self.output = _BertDenseNorm(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.self(x), x)


class _BertIntermediate(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.dense = nn.Linear(dim, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return functional.gelu(self.dense(x))


class _BertLayer(nn.Module):
    def __init__(self, dim: int, heads: int, hidden: int):
        super().__init__()
        self.attention = _BertAttention(dim, heads)
        self.intermediate = _BertIntermediate(dim, hidden)
        self.output = _BertDenseNorm(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.attention(x)
        return self.output(self.intermediate(x), x)


class _BertEncoder(nn.Module):
    def __init__(self, dim: int, depth: int, heads: int, hidden: int):
        super().__init__()
        self.layer = nn.ModuleList(_BertLayer(dim, heads, hidden) for _ in range(depth))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layer:
            x = layer(x)
        return x


class _BertPooler(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dense = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(x[:, 0]))


class _Bert(nn.Module):
    def __init__(self, vocab: int = 30522, dim: int = 768, depth: int = 12, heads: int = 12,
                 hidden: int = 3072, positions: int = 512, types: int = 2):
        super().__init__()
        self.embeddings = _BertEmbeddings(vocab, dim, positions, types)
        self.encoder = _BertEncoder(dim, depth, heads, hidden)
        self.pooler = _BertPooler(dim)

    def forward(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.encoder(self.embeddings(ids))
        return x, self.pooler(x)


def _bert_base() -> tuple[nn.Module, tuple]:
    with torch.device("meta"):
        return _Bert().eval(), (torch.zeros(1, 128, dtype=torch.long, device="meta"),)


# --- Llama-2-7B ----------------------------------------------------------------------------


class _RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


def _rotate(x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding (elementwise: no GEMM) of x (batch, heads, tokens, hd)."""
    half = x.shape[-1] // 2
    inv_freq = 10000.0 ** (-torch.arange(half, device=x.device, dtype=torch.float32) / half)
    angles = positions[:, None].float() * inv_freq[None, :]             # (tokens, half)
    cos, sin = torch.cat([angles, angles], -1).cos(), torch.cat([angles, angles], -1).sin()
    rotated = torch.cat([-x[..., half:], x[..., :half]], -1)
    return x * cos + rotated * sin


class _LlamaAttention(nn.Module):
    def __init__(self, dim: int, heads: int, kv_heads: int):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, dim // heads
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(dim, kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(dim, dim, bias=False)

    def forward(self, x: torch.Tensor, positions: torch.Tensor,
                past: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
        batch, tokens, dim = x.shape

        def split(t: torch.Tensor, heads: int) -> torch.Tensor:
            return t.view(batch, tokens, heads, self.head_dim).transpose(1, 2)

        q = _rotate(split(self.q_proj(x), self.heads), positions)
        k = _rotate(split(self.k_proj(x), self.kv_heads), positions)
        v = split(self.v_proj(x), self.kv_heads)
        if past is not None:                      # the new token's K/V join the cache first
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        out = functional.scaled_dot_product_attention(
            q, k, v, is_causal=past is None and tokens > 1,
            enable_gqa=self.kv_heads != self.heads,
        )
        return self.o_proj(out.transpose(1, 2).reshape(batch, tokens, dim))


class _LlamaMLP(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.gate_proj = nn.Linear(dim, hidden, bias=False)
        self.up_proj = nn.Linear(dim, hidden, bias=False)
        self.down_proj = nn.Linear(hidden, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(functional.silu(self.gate_proj(x)) * self.up_proj(x))


class _LlamaLayer(nn.Module):
    def __init__(self, dim: int, heads: int, kv_heads: int, hidden: int):
        super().__init__()
        self.input_layernorm = _RMSNorm(dim)
        self.self_attn = _LlamaAttention(dim, heads, kv_heads)
        self.post_attention_layernorm = _RMSNorm(dim)
        self.mlp = _LlamaMLP(dim, hidden)

    def forward(self, x: torch.Tensor, positions: torch.Tensor,
                past: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
        x = x + self.self_attn(self.input_layernorm(x), positions, past)
        return x + self.mlp(self.post_attention_layernorm(x))


class _LlamaModel(nn.Module):
    def __init__(self, vocab: int, dim: int, depth: int, heads: int, kv_heads: int,
                 hidden: int):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(
            _LlamaLayer(dim, heads, kv_heads, hidden) for _ in range(depth)
        )
        self.norm = _RMSNorm(dim)

    def forward(self, ids: torch.Tensor, past: Any = None) -> torch.Tensor:
        start = 0 if past is None else past[0][0].shape[2]
        positions = torch.arange(start, start + ids.shape[1], device=ids.device)
        x = self.embed_tokens(ids)
        for index, layer in enumerate(self.layers):
            x = layer(x, positions, None if past is None else past[index])
        return self.norm(x)


class _LlamaForCausalLM(nn.Module):
    def __init__(self, vocab: int = 32000, dim: int = 4096, depth: int = 32, heads: int = 32,
                 kv_heads: int = 32, hidden: int = 11008):
        super().__init__()
        self.model = _LlamaModel(vocab, dim, depth, heads, kv_heads, hidden)
        self.lm_head = nn.Linear(dim, vocab, bias=False)

    def forward(self, ids: torch.Tensor, past: Any = None) -> torch.Tensor:
        return self.lm_head(self.model(ids, past))      # logits of every token


def _llama2_7b(tokens: int, cached: int) -> tuple[nn.Module, tuple]:
    """Llama-2-7B on the meta device: ``tokens`` new tokens after ``cached`` cached ones."""
    with torch.device("meta"):
        net = _LlamaForCausalLM().eval()
    ids = torch.zeros(1, tokens, dtype=torch.long, device="meta")
    if cached == 0:
        return net, (ids,)
    attn = net.model.layers[0].self_attn
    shape = (1, attn.kv_heads, cached, attn.head_dim)
    past = tuple(
        (torch.empty(shape, device="meta"), torch.empty(shape, device="meta"))
        for _ in net.model.layers
    )
    return net, (ids, past)


# --- the zoo -------------------------------------------------------------------------------


def _trace(name: str, description: str, module: Callable[[], tuple[nn.Module, tuple]]):
    net, inputs = module()
    return Workload.from_torch(net, inputs, name=name, description=description)


def _entry(name: str, description: str, published_macs: float, published_source: str,
           published_params: int, params_source: str,
           module: Callable[[], tuple[nn.Module, tuple]]) -> ZooEntry:
    build = functools.partial(_trace, name, description, module)
    return ZooEntry(name, description, float(published_macs), published_source,
                    published_params, params_source, module, build)


# Llama-2-7B: the published parameter count minus the token embedding (32000 x 4096, a
# lookup) and the 2 x 32 + 1 RMSNorm weight vectors of 4096 is the GEMM weights, each used
# once per token.
_LLAMA_PARAMS = 6_738_415_616
_LLAMA_LINEAR_PARAMS = _LLAMA_PARAMS - 32000 * 4096 - (2 * 32 + 1) * 4096
_LLAMA_ATTENTION = "2 x 32 layers x 4096 (= 32 heads x 128)"

ZOO: dict[str, ZooEntry] = {
    entry.name: entry
    for entry in (
        _entry(
            "resnet18",
            "ResNet-18 (He et al. 2016), ImageNet 224x224, batch 1, final FC included",
            1.81e9,
            "torchvision ResNet18_Weights.IMAGENET1K_V1: GFLOPS 1.81 (torchvision counts "
            "multiply-adds); He et al. 2016 Table 1: 1.8e9 FLOPs (multiply-adds)",
            11_689_512, "torchvision ResNet18_Weights.IMAGENET1K_V1: num_params 11689512",
            _resnet18,
        ),
        _entry(
            "resnet50",
            "ResNet-50 v1.5 (He et al. 2016, torchvision: stride on the 3x3 conv), ImageNet "
            "224x224, batch 1, final FC included",
            4.09e9,
            "torchvision ResNet50_Weights.IMAGENET1K_V1: GFLOPS 4.09 (multiply-adds, v1.5); "
            "He et al. 2016 Table 1 gives 3.8e9 for v1 (stride on the first 1x1 conv)",
            25_557_032, "torchvision ResNet50_Weights.IMAGENET1K_V1: num_params 25557032",
            _resnet50,
        ),
        _entry(
            "mobilenet_v2",
            "MobileNetV2 1.0 (Sandler et al. 2018), ImageNet 224x224, batch 1, final FC "
            "included",
            300e6,
            "Sandler et al. 2018 Table 4: 300M multiply-adds; torchvision "
            "MobileNet_V2_Weights.IMAGENET1K_V1: GFLOPS 0.30",
            3_504_872, "torchvision MobileNet_V2_Weights.IMAGENET1K_V1: num_params 3504872 "
            "(Sandler et al. 2018: 3.4M)",
            _mobilenet_v2,
        ),
        _entry(
            "vit_b16",
            "ViT-B/16 (Dosovitskiy et al. 2021), 224x224 = 196 patches + class token = 197 "
            "tokens, 12 layers, d 768, MLP 3072, 12 heads, batch 1, classifier head",
            17.56e9,
            "torchvision ViT_B_16_Weights.IMAGENET1K_V1: GFLOPS 17.56 (multiply-adds, "
            "attention matmuls included)",
            86_567_656, "torchvision ViT_B_16_Weights.IMAGENET1K_V1: num_params 86567656",
            _vit_b16,
        ),
        _entry(
            "bert_base",
            "BERT-base uncased (Devlin et al. 2019), 128 tokens, batch 1, 12 layers, d 768, "
            "12 heads, FFN 3072, pooler included; embeddings are lookups",
            12 * 12 * 128 * 768**2 + 2 * 12 * 128**2 * 768 + 768**2,
            "formula from Devlin et al. 2019 BERT-base (L=12, H=768, A=12, FFN 4H) at T=128: "
            "12*L*T*H^2 (Q, K, V, output, 2 FFN) + 2*L*T^2*H (QK^T, PV) + H^2 (pooler, [CLS])",
            109_482_240, "Hugging Face bert-base-uncased (BertModel with pooler): 109,482,240 "
            "parameters (Devlin et al. 2019: 110M)",
            _bert_base,
        ),
        _entry(
            "llama2_7b_prefill",
            "Llama-2-7B (Touvron et al. 2023) prefill: 2,048-token prompt, batch 1, d 4096, 32 "
            "layers, 32 heads x 128, SwiGLU MLP 11008, vocab 32000; lm_head over all 2,048 "
            "tokens; causal attention counted as the full square",
            2048 * _LLAMA_LINEAR_PARAMS + 2 * 32 * 2048 * 2048 * 4096,
            "formula from the published parameter count (6,738,415,616, Hugging Face "
            "meta-llama/Llama-2-7b-hf): 2048 tokens x (params - 32000x4096 embedding - 65x4096 "
            f"RMSNorm) + attention {_LLAMA_ATTENTION} x 2048 x 2048 (full square)",
            _LLAMA_PARAMS, "Hugging Face meta-llama/Llama-2-7b-hf: 6,738,415,616 parameters "
            "(Touvron et al. 2023: 7B)",
            functools.partial(_llama2_7b, 2048, 0),
        ),
        _entry(
            "llama2_7b_decode",
            "Llama-2-7B (Touvron et al. 2023) decode: one new token after a 2,048-token "
            "prompt, batch 1; every projection and the lm_head at M=1; attention over 2,049 "
            "keys (2,048 cached + the new token's own)",
            _LLAMA_LINEAR_PARAMS + 2 * 32 * 4096 * 2049,
            "formula from the published parameter count (6,738,415,616, Hugging Face "
            "meta-llama/Llama-2-7b-hf): 1 token x (params - 32000x4096 embedding - 65x4096 "
            f"RMSNorm) + attention {_LLAMA_ATTENTION} x 1 x 2049 keys",
            _LLAMA_PARAMS, "Hugging Face meta-llama/Llama-2-7b-hf: 6,738,415,616 parameters "
            "(Touvron et al. 2023: 7B)",
            functools.partial(_llama2_7b, 1, 2048),
        ),
    )
}


def zoo_names() -> list[str]:
    """Names of the zoo's networks, in :data:`ZOO` order."""
    return list(ZOO)


def zoo_workload(name: str) -> Workload:
    """The workload of zoo network ``name`` (built once, then cached); ZooError if unknown."""
    if not isinstance(name, str) or name not in ZOO:
        raise ZooError(f"unknown network {name!r}; known: {', '.join(ZOO)}")
    return _cached_workload(name)


@functools.cache
def _cached_workload(name: str) -> Workload:
    return ZOO[name].build()
