"""PyTorch's side of torch-attention.test.ts: reads a case as JSON on stdin (block kind, settings, weights under
their Keras names, inputs [batch, steps, features], padding mask), computes the KerasNLP block in float32 with
torch.nn.functional (multi_head_attention_forward with the same weights, layer_norm, linear, the activation) and
writes the output as JSON on stdout."""
import json
import sys

import torch
import torch.nn.functional as F

case = json.load(sys.stdin)
torch.set_num_threads(1)
w = {k: torch.tensor(v["data"], dtype=torch.float32).reshape(v["shape"]) for k, v in case["weights"].items()}
x = torch.tensor(case["x"], dtype=torch.float32).reshape(case["shape"])
B, T, D = x.shape
H = case["numHeads"]
name, attention = case["name"], case["attention"]
a = f"{name}/{attention}/"
act = {"relu": F.relu, "gelu": F.gelu, "tanh": torch.tanh}[case["activation"]]
eps = case["layerNormEpsilon"]
pad = torch.tensor(case["mask"], dtype=torch.float32).reshape(B, T) if case["mask"] is not None else None


def attend(h):
    # Keras kernels [D, heads, depth] → torch's [heads·depth, D] projection matrices.
    proj = lambda p: w[a + p + "/kernel"].reshape(D, -1).t()
    in_bias = torch.cat([w[a + p + "/bias"].reshape(-1) for p in ("query", "key", "value")])
    out_w = w[a + "attention_output/kernel"].reshape(-1, D).t()
    key_padding = (pad == 0) if pad is not None else None
    causal = torch.triu(torch.ones(T, T, dtype=torch.bool), 1) if case["causal"] else None
    seq = h.transpose(0, 1)  # torch wants [steps, batch, features]
    y, _ = F.multi_head_attention_forward(
        seq, seq, seq, D, H, None, in_bias, None, None, False, 0.0, out_w, w[a + "attention_output/bias"],
        training=False, key_padding_mask=key_padding, need_weights=False, attn_mask=causal,
        use_separate_proj_weight=True, q_proj_weight=proj("query"), k_proj_weight=proj("key"),
        v_proj_weight=proj("value"),
    )
    return y.transpose(0, 1)


def norm(h, which):
    return F.layer_norm(h, (D,), w[f"{name}/{which}/gamma"], w[f"{name}/{which}/beta"], eps)


def feed(h):
    d1, d2 = f"{name}/feedforward_intermediate_dense/", f"{name}/feedforward_output_dense/"
    return F.linear(act(F.linear(h, w[d1 + "kernel"].t(), w[d1 + "bias"])), w[d2 + "kernel"].t(), w[d2 + "bias"])


with torch.no_grad():
    if case["normalizeFirst"]:
        x1 = x + attend(norm(x, "self_attention_layer_norm"))
        y = x1 + feed(norm(x1, "feedforward_layer_norm"))
    else:
        x1 = norm(x + attend(x), "self_attention_layer_norm")
        y = norm(x1 + feed(x1), "feedforward_layer_norm")
json.dump(y.reshape(-1).tolist(), sys.stdout)
