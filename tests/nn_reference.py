#!/usr/bin/python3
"""PyTorch reference of recad's Qwen2 decoder (src/nn.h), in float64, for the golden test.

usage: nn_reference.py DIR
reads  DIR/config.json        Hugging Face Qwen2 keys
       DIR/model.safetensors  weights (Hugging Face names)
       DIR/batch.json         {"B", "T", "inputs", "targets", "weights" (or null), "norm",
                               "lr", "beta1", "beta2", "eps", "weight_decay", "clip", "steps"}
writes DIR/ref.safetensors    "logits" (B*T, V), "loss" (1), "grad_norm" (1),
                              "grad.<name>" for every parameter, and "step<steps>.<name>"
                              the parameters after `steps` AdamW updates on the same batch
                              (the step-1 forward reuses the logits/gradients above).
The model follows Hugging Face Qwen2: RMSNorm, rotate_half RoPE, grouped-query attention with
q/k/v bias, SwiGLU; loss = sum_i w_i CE_i / norm (norm <= 0: sum of w over targets >= 0);
AdamW is torch.optim.AdamW with weight decay only on 2-D tensors, after clip_grad_norm_.
The safetensors format is read and written by hand (struct + json).
"""
import json, math, struct, sys

import torch

torch.set_default_dtype(torch.float64)


def st_read(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    hdr = json.loads(data[8:8 + n])
    out = {}
    for name, e in hdr.items():
        if name == "__metadata__":
            continue
        b, en = e["data_offsets"]
        raw = data[8 + n + b:8 + n + en]
        assert e["dtype"] == "F32", e["dtype"]
        t = torch.frombuffer(bytearray(raw), dtype=torch.float32).clone()
        out[name] = t.reshape(e["shape"]).to(torch.float64)
    return out


def st_write(path, tensors):
    hdr, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        hdr[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(hdr).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def rmsnorm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), -1)


def forward(P, cfg, inputs):
    V, D = cfg["vocab_size"], cfg["hidden_size"]
    L, H = cfg["num_hidden_layers"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads", H)
    hd, eps = D // H, cfg.get("rms_norm_eps", 1e-6)
    B, T = inputs.shape
    inv = 1.0 / (cfg.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None]
    emb = torch.cat((ang, ang), -1)
    cos, sin = emb.cos(), emb.sin()
    x = P["model.embed_tokens.weight"][inputs]
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    for l in range(L):
        pre = f"model.layers.{l}."
        h = rmsnorm(x, P[pre + "input_layernorm.weight"], eps)
        q = h @ P[pre + "self_attn.q_proj.weight"].T + P[pre + "self_attn.q_proj.bias"]
        k = h @ P[pre + "self_attn.k_proj.weight"].T + P[pre + "self_attn.k_proj.bias"]
        v = h @ P[pre + "self_attn.v_proj.weight"].T + P[pre + "self_attn.v_proj.bias"]
        q = q.view(B, T, H, hd).transpose(1, 2)
        k = k.view(B, T, KV, hd).transpose(1, 2)
        v = v.view(B, T, KV, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // KV, dim=1)
        v = v.repeat_interleave(H // KV, dim=1)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        a = (att @ v).transpose(1, 2).reshape(B, T, H * hd)
        x = x + a @ P[pre + "self_attn.o_proj.weight"].T
        h = rmsnorm(x, P[pre + "post_attention_layernorm.weight"], eps)
        g = h @ P[pre + "mlp.gate_proj.weight"].T
        u = h @ P[pre + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(g) * u) @ P[pre + "mlp.down_proj.weight"].T
    x = rmsnorm(x, P["model.norm.weight"], eps)
    head = P["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else P["lm_head.weight"]
    return (x @ head.T).reshape(B * T, V)


def loss_of(logits, targets, weights, norm):
    valid = targets >= 0
    ce = torch.nn.functional.cross_entropy(logits, targets.clamp(min=0), reduction="none")
    w = (weights if weights is not None else torch.ones_like(ce)) * valid
    n = norm if norm > 0 else float(w.sum())
    if n == 0:
        n = 1.0
    return (w * ce).sum() / n


def main():
    d = sys.argv[1]
    cfg = json.load(open(d + "/config.json"))
    batch = json.load(open(d + "/batch.json"))
    P = {k: torch.nn.Parameter(v) for k, v in st_read(d + "/model.safetensors").items()}
    if cfg.get("tie_word_embeddings"):
        P.pop("lm_head.weight", None)
    B, T = batch["B"], batch["T"]
    inputs = torch.tensor(batch["inputs"]).view(B, T)
    targets = torch.tensor(batch["targets"])
    weights = torch.tensor(batch["weights"], dtype=torch.float64) if batch.get("weights") is not None else None
    decay = [p for p in P.values() if p.dim() == 2]
    nodecay = [p for p in P.values() if p.dim() != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": batch["weight_decay"]},
                             {"params": nodecay, "weight_decay": 0.0}],
                            lr=batch["lr"], betas=(batch["beta1"], batch["beta2"]), eps=batch["eps"])
    out = {}
    for step in range(batch["steps"]):
        opt.zero_grad()
        logits = forward(P, cfg, inputs)
        loss = loss_of(logits, targets, weights, batch["norm"])
        loss.backward()
        if step == 0:  # unclipped gradients
            out["logits"] = logits.detach()
            out["loss"] = loss.detach().reshape(1)
            for k, p in P.items():
                out["grad." + k] = p.grad.detach().clone()
        gn = torch.nn.utils.clip_grad_norm_(list(P.values()), batch["clip"] if batch["clip"] > 0 else float("inf"))
        if step == 0:
            out["grad_norm"] = gn.detach().reshape(1)
        opt.step()
    for k, p in P.items():
        out[f"step{batch['steps']}." + k] = p.detach()
    st_write(d + "/ref.safetensors", out)


if __name__ == "__main__":
    main()
