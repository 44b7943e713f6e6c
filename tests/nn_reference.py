#!/usr/bin/python3
"""PyTorch reference of recad's Qwen2 decoder (src/ml/nn.h), in float64, for the golden test.

usage: nn_reference.py DIR
       nn_reference.py --make-checkpoint DIR DTYPE   (DTYPE F32, BF16 or F16)
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

--make-checkpoint writes a small random Qwen2 checkpoint as the Hugging Face tooling lays it out
(config.json with the usual extra keys, model.safetensors in DTYPE with tensors in a shuffled
order and a __metadata__ entry, untied lm_head, grouped-query attention) and, computed from the
stored (rounded) weights, DIR/expected.json: {"tokens": [...], "logits": [[...], ...]}.
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
        dt = DTYPES[e["dtype"]]
        if dt == torch.float32:
            t = torch.frombuffer(bytearray(raw), dtype=torch.float32).clone()
        else:
            t = torch.frombuffer(bytearray(raw), dtype=torch.int16).clone().view(dt)
        out[name] = t.reshape(e["shape"]).to(torch.float64)
    return out


DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}


def st_write(path, tensors, dtype="F32", metadata=None):
    hdr, blobs, off = {}, [], 0
    if metadata:
        hdr["__metadata__"] = metadata
    for name, t in tensors.items():
        t = t.detach().to(DTYPES[dtype]).contiguous()
        b = t.view(torch.int16).numpy().tobytes() if dtype != "F32" else t.numpy().tobytes()
        hdr[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
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


def make_checkpoint(d, dtype):
    import random
    torch.manual_seed(1234)
    cfg = {"architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 1,
           "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 48, "initializer_range": 0.02,
           "intermediate_size": 96, "max_position_embeddings": 128, "max_window_layers": 2,
           "model_type": "qwen2", "num_attention_heads": 6, "num_hidden_layers": 2,
           "num_key_value_heads": 2, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
           "sliding_window": 128, "tie_word_embeddings": False, "torch_dtype": dtype.lower(),
           "transformers_version": "4.40.0", "use_cache": True, "use_sliding_window": False,
           "vocab_size": 100}
    D, F, V, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"], cfg["num_hidden_layers"]
    hd = D // cfg["num_attention_heads"]
    Q, K = cfg["num_attention_heads"] * hd, cfg["num_key_value_heads"] * hd
    P = {"model.embed_tokens.weight": torch.randn(V, D) * 0.5, "model.norm.weight": 1 + 0.1 * torch.randn(D),
         "lm_head.weight": torch.randn(V, D) * 0.2}
    for l in range(L):
        pre = f"model.layers.{l}."
        P[pre + "input_layernorm.weight"] = 1 + 0.1 * torch.randn(D)
        P[pre + "post_attention_layernorm.weight"] = 1 + 0.1 * torch.randn(D)
        for n, (o, i) in {"self_attn.q_proj": (Q, D), "self_attn.k_proj": (K, D), "self_attn.v_proj": (K, D),
                          "self_attn.o_proj": (D, Q), "mlp.gate_proj": (F, D), "mlp.up_proj": (F, D),
                          "mlp.down_proj": (D, F)}.items():
            P[pre + n + ".weight"] = torch.randn(o, i) * 0.15
        for n, o in (("q_proj", Q), ("k_proj", K), ("v_proj", K)):
            P[pre + "self_attn." + n + ".bias"] = 0.1 * torch.randn(o)
    names = list(P)
    random.Random(5).shuffle(names)
    st_write(d + "/model.safetensors", {k: P[k] for k in names}, dtype, {"format": "pt"})
    json.dump(cfg, open(d + "/config.json", "w"), indent=2)
    W = st_read(d + "/model.safetensors")  # the rounded weights, as the C side sees them
    tokens = [random.Random(9).randrange(V) for _ in range(20)]
    logits = forward(W, cfg, torch.tensor(tokens).view(1, -1))
    json.dump({"tokens": tokens, "logits": logits.tolist()}, open(d + "/expected.json", "w"))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--make-checkpoint":
        make_checkpoint(sys.argv[2], sys.argv[3])
    else:
        main()
