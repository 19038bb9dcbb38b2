"""Writes attention-fixture.json: KerasNLP's TokenAndPositionEmbedding, TransformerEncoder and TransformerDecoder on a
small case, computed in float64 straight from the formulas of Keras 3's MultiHeadAttention (einsum projections, query
scaled by 1/sqrt(key_dim), boolean masks with masked weights set to 0, as its Softmax does) and of KerasNLP's blocks
(transformer_encoder.py, transformer_decoder.py; LayerNormalization with the biased variance), independently of
backprop. Weights are multiples of 1/64 (exact in float32). Run: /usr/bin/python3 test/parity/attention_formulas.py
"""
import json
import math
import os

import numpy as np

rng = np.random.default_rng(23)


def weight(*shape, scale=0.5):
    return np.round(rng.uniform(-scale, scale, size=shape) * 64) / 64


def layer_norm(x, gamma, beta, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def swish(x):
    return x / (1 + np.exp(-x))


def relu(x):
    return np.maximum(x, 0)


def mha(x, w, p, mask):
    """Keras 3 MultiHeadAttention(query=x, value=x) with a boolean mask [B, T, S]."""
    key_dim = w[p + "query/kernel"].shape[2]
    q = np.einsum("btd,dhk->bthk", x, w[p + "query/kernel"]) + w[p + "query/bias"]
    k = np.einsum("btd,dhk->bthk", x, w[p + "key/kernel"]) + w[p + "key/bias"]
    v = np.einsum("btd,dhk->bthk", x, w[p + "value/kernel"]) + w[p + "value/bias"]
    q = q / math.sqrt(key_dim)
    scores = np.einsum("bshk,bthk->bhts", k, q)
    m = mask[:, None, :, :]
    scores = np.where(m, scores, -np.inf)
    top = np.max(scores, -1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    e = np.where(m, np.exp(scores - top), 0)
    total = e.sum(-1, keepdims=True)
    probs = np.where(total > 0, e / np.where(total > 0, total, 1), 0)
    o = np.einsum("bhts,bshv->bthv", probs, v)
    return np.einsum("bthv,hvd->btd", o, w[p + "attention_output/kernel"]) + w[p + "attention_output/bias"]


def dense(x, w, p, act=None):
    y = x @ w[p + "kernel"] + w[p + "bias"]
    return act(y) if act else y


def block(x, w, name, attention, normalize_first, act, eps, mask):
    ln1 = lambda h: layer_norm(h, w[name + "self_attention_layer_norm/gamma"], w[name + "self_attention_layer_norm/beta"], eps)
    ln2 = lambda h: layer_norm(h, w[name + "feedforward_layer_norm/gamma"], w[name + "feedforward_layer_norm/beta"], eps)
    attend = lambda h: mha(h, w, name + attention + "/", mask)
    feed = lambda h: dense(dense(h, w, name + "feedforward_intermediate_dense/", act), w, name + "feedforward_output_dense/")
    if normalize_first:
        x = x + attend(ln1(x))
        return x + feed(ln2(x))
    x = ln1(x + attend(x))
    return ln2(x + feed(x))


VOCAB, SEQ, D, HEADS, INTER, EPS = 7, 4, 4, 2, 5, 1e-5
KD = D // HEADS
ids = np.array([[1, 2, 3, 4], [5, 6, 1, 0], [3, 0, 0, 0]])
pad = ids != 0
B, T = ids.shape


def embedding_weights(name):
    return {name + "token_embedding/embeddings": weight(VOCAB, D), name + "position_embedding/embeddings": weight(SEQ, D)}


def block_weights(name, attention, norm_before_dense):
    w = {}
    a = name + attention + "/"
    for p in ["query", "key", "value"]:
        w[a + p + "/kernel"] = weight(D, HEADS, KD)
        w[a + p + "/bias"] = weight(HEADS, KD, scale=0.2)
    w[a + "attention_output/kernel"] = weight(HEADS, KD, D)
    w[a + "attention_output/bias"] = weight(D, scale=0.2)
    norm1 = {name + "self_attention_layer_norm/gamma": 1 + weight(D, scale=0.25), name + "self_attention_layer_norm/beta": weight(D, scale=0.2)}
    norm2 = {name + "feedforward_layer_norm/gamma": 1 + weight(D, scale=0.25), name + "feedforward_layer_norm/beta": weight(D, scale=0.2)}
    ff = {
        name + "feedforward_intermediate_dense/kernel": weight(D, INTER),
        name + "feedforward_intermediate_dense/bias": weight(INTER, scale=0.2),
        name + "feedforward_output_dense/kernel": weight(INTER, D),
        name + "feedforward_output_dense/bias": weight(D, scale=0.2),
    }
    w.update(norm1)
    if norm_before_dense:
        w.update(norm2)
        w.update(ff)
    else:
        w.update(ff)
        w.update(norm2)
    return w


def embed(w, name):
    return w[name + "token_embedding/embeddings"][ids] + w[name + "position_embedding/embeddings"][:T]


cases = []
# Encoder (BERT-style, post-norm, relu): padded keys and padded queries masked (Keras 3 query and value masks).
w = {**embedding_weights("emb/"), **block_weights("enc/", "self_attention_layer", True)}
mask = pad[:, :, None] & pad[:, None, :]
y = block(embed(w, "emb/"), w, "enc/", "self_attention_layer", False, relu, EPS, mask)
cases.append({"name": "encoder", "weights": w, "output": y})
# Decoder (GPT-style, pre-norm, swish): causal and padded keys.
w = {**embedding_weights("emb/"), **block_weights("dec/", "self_attention", False)}
causal = np.tril(np.ones((T, T), dtype=bool))[None]
mask = pad[:, None, :] & causal
y = block(embed(w, "emb/"), w, "dec/", "self_attention", True, swish, EPS, mask)
cases.append({"name": "decoder", "weights": w, "output": y})

out = {
    "about": "written by attention_formulas.py: KerasNLP layers computed from the formulas in float64",
    "config": {"vocabularySize": VOCAB, "sequenceLength": SEQ, "embeddingDim": D, "numHeads": HEADS, "intermediateDim": INTER},
    "ids": ids.tolist(),
    "cases": [
        {
            "name": c["name"],
            "weights": [{"name": k, "shape": list(v.shape), "data": v.ravel().tolist()} for k, v in c["weights"].items()],
            "output": c["output"].ravel().tolist(),
        }
        for c in cases
    ],
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "attention-fixture.json"), "w") as f:
    json.dump(out, f, indent=None, separators=(",", ":"))
    f.write("\n")
