"""Writes this folder's quantised GGUF files with the gguf Python package, ggml's reference in Python.

Run from this folder with a Python that has gguf and numpy installed, after the shared models are in place:
    python make_quantized_ggufs.py [path/to/stories260K.gguf]
It writes
    every-block-type.gguf  for each block format T (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K) a
                           [3, 2 blocks] tensor 't.T' of random blocks (finite random f16 scales) and an
                           F32 tensor 't.T.expected' holding gguf's dequantisation of it: one file with
                           every type, as mixed files like Q4_K_M hold several;
    stories260K-q8_0.gguf  stories260K with every matrix whose rows are whole Q8_0 blocks quantised by
                           gguf's Q8_0 quantiser (ffn_down's rows of 172 stay F32, as llama.cpp would
                           keep them), metadata and tokenizer copied unchanged.
Seeded: a rerun writes the same bytes.
"""
import os
import sys

import numpy as np
from gguf import GGMLQuantizationType as T, GGUFReader, GGUFValueType, GGUFWriter
from gguf.constants import GGML_QUANT_SIZES
from gguf.quants import dequantize, quantize

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED_STORIES = os.path.join(HERE, "../../../../../../../../../shared/models/stories260K/stories260K.gguf")
rng = np.random.default_rng(22)

# Byte offsets of each format's f16 fields inside a block.
HALVES = {T.Q8_0: [0], T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2],
          T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}


def finish(writer):
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def every_block_type():
    writer = GGUFWriter(os.path.join(HERE, "every-block-type.gguf"), "llama")
    for qtype, halves in HALVES.items():
        block_bytes = GGML_QUANT_SIZES[qtype][1]
        rows, blocks_per_row = 3, 2
        packed = rng.integers(0, 256, size=(rows, blocks_per_row * block_bytes), dtype=np.uint8)
        as_blocks = packed.reshape(-1, block_bytes)
        for at in halves:
            scales = (rng.normal(size=len(as_blocks)) * 10.0 ** rng.uniform(-4, 0, size=len(as_blocks))).astype(np.float16)
            as_blocks[:, at:at + 2] = scales.view(np.uint8).reshape(-1, 2)
        writer.add_tensor("t." + qtype.name, packed, raw_shape=packed.shape, raw_dtype=qtype)
        writer.add_tensor("t." + qtype.name + ".expected", dequantize(packed, qtype).astype(np.float32))
    finish(writer)


def stories_q8_0(source):
    reader = GGUFReader(source)
    writer = GGUFWriter(os.path.join(HERE, "stories260K-q8_0.gguf"), reader.fields["general.architecture"].contents())
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        value_type = field.types[0]
        sub_type = field.types[1] if value_type == GGUFValueType.ARRAY else None
        writer.add_key_value(name, field.contents(), value_type, sub_type=sub_type)
    block = GGML_QUANT_SIZES[T.Q8_0][0]
    for tensor in reader.tensors:
        values = np.asarray(tensor.data, dtype=np.float32).reshape(tuple(reversed(tensor.shape.tolist())))
        if values.ndim == 2 and values.shape[1] % block == 0:
            packed = quantize(values, T.Q8_0)
            writer.add_tensor(tensor.name, packed, raw_shape=packed.shape, raw_dtype=T.Q8_0)
        else:
            writer.add_tensor(tensor.name, values)
    finish(writer)


every_block_type()
stories_q8_0(sys.argv[1] if len(sys.argv) > 1 else SHARED_STORIES)
