"""Writes this folder's block fixtures with the gguf Python package, ggml's reference in Python.

Run from this folder with a Python that has gguf and numpy installed:
    python make_blocks.py
For each block format NAME (q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k) it writes
    NAME.random.blocks  blocks of random bytes whose f16 scales are finite random halves,
    NAME.random.f32     gguf's dequantisation of them (little-endian f32),
and for the formats gguf can quantise (all but the K-quants)
    NAME.input.f32      floats chosen to reach the quantiser's corners (zeros, ties, a lone extreme),
    NAME.quantized.blocks  gguf's quantisation of them,
    NAME.quantized.f32  gguf's dequantisation of those blocks.
The random blocks check every bit of a layout, as the K-quants have no quantiser here; the quantised
ones check the arithmetic of the reference quantisers. Seeded: a rerun writes the same bytes.
"""
import os

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf.constants import GGML_QUANT_SIZES
from gguf.quants import dequantize, quantize

HERE = os.path.dirname(os.path.abspath(__file__))
BLOCKS = 24
rng = np.random.default_rng(22)

# Byte offsets of each format's f16 fields inside a block.
HALVES = {T.Q8_0: [0], T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2],
          T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}
QUANTIZABLE = [T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1]


def write(name, array):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(np.ascontiguousarray(array).tobytes())


def random_blocks(qtype):
    block_size, block_bytes = GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(BLOCKS, block_bytes), dtype=np.uint8)
    for at in HALVES[qtype]:
        halves = (rng.normal(size=BLOCKS) * 10.0 ** rng.uniform(-6, 1, size=BLOCKS)).astype(np.float16)
        halves[0] = np.float16(0)
        halves[1] = np.float16(-6e-8)  # a subnormal half
        blocks[:, at:at + 2] = halves.view(np.uint8).reshape(BLOCKS, 2)
    return blocks


def corner_inputs(block_size):
    x = (rng.normal(size=(BLOCKS, block_size)) * 10.0 ** rng.uniform(-3, 1, size=(BLOCKS, 1))).astype(np.float32)
    x[0] = 0                                       # d = 0: every q is the zero point
    x[1] = 0
    x[1, 5] = -3.0                                 # a lone negative extreme
    x[2] = np.arange(block_size) - block_size / 2  # integers and the ties between them after scaling
    x[3] = (np.arange(block_size) - block_size / 2 + 0.5) * (127 / (block_size / 2))  # x/d lands on .5 for Q8_0
    x[4] = -x[3]
    x[5] = 1e-30                                   # a scale that underflows to zero in f16
    x[6] = 1e7                                     # scales (and Q4_1's, Q5_1's minimum) that overflow f16
    x[6, 0] = -1e7
    return x


for qtype in HALVES:
    name = qtype.name.lower()
    blocks = random_blocks(qtype)
    write(name + ".random.blocks", blocks)
    write(name + ".random.f32", dequantize(blocks, qtype).astype("<f4"))
    if qtype in QUANTIZABLE:
        x = corner_inputs(GGML_QUANT_SIZES[qtype][0])
        packed = quantize(x, qtype)
        write(name + ".input.f32", x.astype("<f4"))
        write(name + ".quantized.blocks", packed)
        write(name + ".quantized.f32", dequantize(packed, qtype).astype("<f4"))
