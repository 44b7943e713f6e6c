#!/usr/bin/python3
"""PyTorch reference of recad's vision encoder (src/ml/vit.h), in float64, for the golden test.

usage: vit_reference.py DIR
reads  DIR/vision_config.json   the "vision_config" object (vt_config keys)
       DIR/visual.safetensors   the encoder's tensors ("visual." names)
       DIR/input.safetensors    "images" (B, S, S), "dout" (B * n/4, D)
writes DIR/ref.safetensors      "tokens" (B * n/4, D) and "grad.<name>" for every tensor: the
                                gradient of sum(tokens * dout)
Written from the formulas of vit.h with torch ops (unfold for the patches, nn.functional
attention maths spelled out); the safetensors reader/writer is tests/nn_reference.py's.
"""
import json, math, os, sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nn_reference import st_read, st_write  # noqa: E402

torch.set_default_dtype(torch.float64)


def rmsnorm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def patches_in_merge_order(images, P):
    """(B, S, S) -> (B, n, P*P): 2x2 blocks of neighbouring patches consecutive, blocks row-major."""
    B, S, _ = images.shape
    g = S // P
    p = images.reshape(B, g, P, g, P).permute(0, 1, 3, 2, 4)       # (B, row, col, P, P)
    p = p.reshape(B, g // 2, 2, g // 2, 2, P, P).permute(0, 1, 3, 2, 4, 5, 6)  # (B, by, bx, dy, dx, P, P)
    return p.reshape(B, g * g, P * P)


def forward(W, cfg, images):
    P, Dv, H, L = cfg["patch_size"], cfg["hidden_size"], cfg["num_heads"], cfg["depth"]
    eps = cfg.get("rms_norm_eps", 1e-6)
    hd = Dv // H
    x = patches_in_merge_order(images, P) @ W["visual.patch_embed.proj.weight"].T + W["visual.patch_embed.proj.bias"]
    x = x + W["visual.pos_embed.weight"]
    B, n, _ = x.shape
    for l in range(L):
        pre = f"visual.blocks.{l}."
        h = rmsnorm(x, W[pre + "norm1.weight"], eps)
        qkv = h @ W[pre + "attn.qkv.weight"].T + W[pre + "attn.qkv.bias"]
        q, k, v = qkv.reshape(B, n, 3, H, hd).permute(2, 0, 3, 1, 4)  # each (B, H, n, hd)
        att = ((q @ k.transpose(-2, -1)) / math.sqrt(hd)).softmax(-1)
        a = (att @ v).transpose(1, 2).reshape(B, n, Dv)
        x = x + a @ W[pre + "attn.proj.weight"].T + W[pre + "attn.proj.bias"]
        h = rmsnorm(x, W[pre + "norm2.weight"], eps)
        g = h @ W[pre + "mlp.gate_proj.weight"].T + W[pre + "mlp.gate_proj.bias"]
        u = h @ W[pre + "mlp.up_proj.weight"].T + W[pre + "mlp.up_proj.bias"]
        x = x + (torch.nn.functional.silu(g) * u) @ W[pre + "mlp.down_proj.weight"].T + W[pre + "mlp.down_proj.bias"]
    m = rmsnorm(x, W["visual.merger.ln_q.weight"], eps).reshape(B * n // 4, 4 * Dv)
    m = torch.nn.functional.gelu(m @ W["visual.merger.mlp.0.weight"].T + W["visual.merger.mlp.0.bias"])
    return m @ W["visual.merger.mlp.2.weight"].T + W["visual.merger.mlp.2.bias"]


def main():
    d = sys.argv[1]
    cfg = json.load(open(d + "/vision_config.json"))
    W = {k: torch.nn.Parameter(v) for k, v in st_read(d + "/visual.safetensors").items()}
    inp = st_read(d + "/input.safetensors")
    tokens = forward(W, cfg, inp["images"])
    (tokens * inp["dout"]).sum().backward()
    out = {"tokens": tokens.detach()}
    for k, p in W.items():
        out["grad." + k] = p.grad.detach()
    st_write(d + "/ref.safetensors", out)


if __name__ == "__main__":
    main()
