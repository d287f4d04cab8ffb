"""Writes this folder's reference files from the real implementations: PyTorch, transformers, PEFT, gguf.

Run from this folder with a Python that has torch, transformers, peft, safetensors and gguf installed:
    python make_reference.py
It is deterministic on one machine (seeded); the Java tests compare against the files it writes, not
against a rerun, so a rerun only needs to happen when the reference itself should change.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from gguf import GGUFWriter, GGMLQuantizationType
from gguf.quants import dequantize, quantize
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
RANK = 4
ALPHA = 8
ADAMW = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
ADAMW_STEPS = 3

torch.manual_seed(0)
torch.use_deterministic_algorithms(True)

# A tiny Llama with an untied head, grouped-query attention and llama3 RoPE scaling whose three bands
# are all in use: head_dim 8 and theta 100 give wavelengths 6.3 (kept, < 32/4), 19.9 (smoothed) and
# 62.8, 198.7 (divided by the factor, > 32/1).
config = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                     num_key_value_heads=2, vocab_size=64, max_position_embeddings=64, rms_norm_eps=1e-5,
                     tie_word_embeddings=False, initializer_range=0.1,
                     rope_parameters={"rope_type": "llama3", "rope_theta": 100.0, "factor": 4.0,
                                      "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                      "original_max_position_embeddings": 32},
                     attn_implementation="eager")
model = LlamaForCausalLM(config).float().eval()
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.endswith("norm.weight"):
            p.copy_(1 + 0.1 * torch.randn_like(p))
model.save_pretrained(os.path.join(HERE, "model"), safe_serialization=True)

sequence = torch.randint(0, config.vocab_size, (2, 17))
ids, targets = sequence[:, :-1], sequence[:, 1:]
expected = {"ids": ids.float().contiguous(), "targets": targets.float().contiguous()}  # small ints, exact in f32


def loss_of(m):
    logits = m(input_ids=ids).logits
    return F.cross_entropy(logits.reshape(-1, config.vocab_size), targets.reshape(-1)), logits


with torch.no_grad():
    expected["base_logits"] = model(input_ids=ids).logits.contiguous()

# LoRA by PEFT itself, random A and B (init_lora_weights=False keeps nn.Linear's init for both), saved
# by PEFT's save_pretrained.
peft_model = get_peft_model(model, LoraConfig(r=RANK, lora_alpha=ALPHA, target_modules=TARGETS, lora_dropout=0.0,
                                              init_lora_weights=False, task_type="CAUSAL_LM"))
peft_model.save_pretrained(os.path.join(HERE, "lora"))
os.remove(os.path.join(HERE, "lora", "README.md"))  # PEFT's model card template, not needed
lora = {n: p for n, p in peft_model.named_parameters() if p.requires_grad}
loss, logits = loss_of(peft_model)
loss.backward()
expected["lora_logits"] = logits.detach().contiguous()
expected["lora_loss"] = loss.detach().reshape(1)
for name, p in lora.items():
    expected["lora_grad." + name.replace(".default", "")] = p.grad.detach().clone()

# A few AdamW steps on the LoRA factors, one batch: the loss before each step and after the last.
peft_model.zero_grad()
optimizer = torch.optim.AdamW(lora.values(), **ADAMW)
losses = []
for _ in range(ADAMW_STEPS):
    optimizer.zero_grad()
    loss, _ = loss_of(peft_model)
    losses.append(loss.item())
    loss.backward()
    optimizer.step()
with torch.no_grad():
    losses.append(loss_of(peft_model)[0].item())
expected["adamw_losses"] = torch.tensor(losses, dtype=torch.float32)

# MoSLoRA (ADAPTERS.md: y = x·W₀ᵀ + s·x·Aᵀ·Mᵀ·Bᵀ) written here as forward hooks on the plain model,
# since PEFT has no mixer: A and B drawn as PEFT's, M from U(−1/√r, 1/√r).
model = peft_model.unload()
scaling = ALPHA / RANK
factors = {}
hooks = []
for module_name, module in model.named_modules():
    if module_name.split(".")[-1] in TARGETS:
        a = torch.empty(RANK, module.in_features).uniform_(-module.in_features ** -0.5, module.in_features ** -0.5)
        mixer = torch.empty(RANK, RANK).uniform_(-RANK ** -0.5, RANK ** -0.5)
        b = torch.empty(module.out_features, RANK).uniform_(-RANK ** -0.5, RANK ** -0.5)
        tensors = {"lora_A": a.requires_grad_(), "lora_AB": mixer.requires_grad_(), "lora_B": b.requires_grad_()}
        factors[module_name] = tensors
        hooks.append(module.register_forward_hook(
            lambda m, inputs, out, t=tensors: out + scaling * inputs[0] @ t["lora_A"].T @ t["lora_AB"].T @ t["lora_B"].T))
loss, logits = loss_of(model)
loss.backward()
expected["moslora_logits"] = logits.detach().contiguous()
expected["moslora_loss"] = loss.detach().reshape(1)
weights = {}
for module_name, tensors in factors.items():
    for factor, t in tensors.items():
        name = f"base_model.model.{module_name}.{factor}.weight"
        weights[name] = t.detach().contiguous()
        expected["moslora_grad." + name] = t.grad.detach().clone()
os.makedirs(os.path.join(HERE, "moslora"), exist_ok=True)
save_file(weights, os.path.join(HERE, "moslora", "adapter_model.safetensors"))
with open(os.path.join(HERE, "lora", "adapter_config.json")) as f:
    adapter_config = json.load(f)
adapter_config["lora_use_mixer"] = True
with open(os.path.join(HERE, "moslora", "adapter_config.json"), "w") as f:
    json.dump(adapter_config, f, indent=2)

# Q8_0 and Q4_0 tensors quantised by gguf's own quantisers, and their dequantised values.
rng = np.random.default_rng(0)
writer = GGUFWriter(os.path.join(HERE, "quantized.gguf"), "llama")
for qtype in (GGMLQuantizationType.Q8_0, GGMLQuantizationType.Q4_0):
    values = rng.standard_normal((6, 96)).astype(np.float32)
    values[0, :32] = 0  # a block of zeros: scale 0
    packed = quantize(values, qtype)
    writer.add_tensor(qtype.name.lower(), packed, raw_shape=packed.shape, raw_dtype=qtype)
    expected["dequantized." + qtype.name.lower()] = torch.from_numpy(dequantize(packed, qtype).copy())
writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()

save_file({k: v.contiguous() for k, v in expected.items()}, os.path.join(HERE, "expected.safetensors"),
          metadata={"torch": torch.__version__, "adamw": json.dumps(ADAMW), "adamw_steps": str(ADAMW_STEPS)})
