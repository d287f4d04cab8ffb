"""PyTorch baseline for Mixtape's fine-tuning benchmark (`bench/run finetune`).

It trains a LoRA or MoSLoRA adapter on a random-weight Llama exactly as one case of the benchmark
does (dev.mixtape.bench.FinetuneRun), so that PyTorch's tok/s and peak RSS can be measured on the
same machine rather than quoted:

* model: a Llama of the chosen shape (RMSNorm, rotary embeddings in Hugging Face's "rotate half"
  layout, grouped-query causal attention, SwiGLU MLP, output head tied to the token embedding),
  f32, with PyTorch's default initialisation; every base weight frozen.
* adapter: r 8, alpha 16 (scaling 2), no dropout, on all seven projections of every block
  (q, k, v, o, gate, up, down): y = x·W0ᵀ + s·x·Aᵀ·Bᵀ, with A from kaiming_uniform(a=√5) and B = 0.
  MoSLoRA puts a learnable r×r mixer M (kaiming_uniform) between them: y = x·W0ᵀ + s·x·Aᵀ·Mᵀ·Bᵀ.
* one step: mean next-token cross-entropy on fresh random token ids (batch rows of seq + 1 ids),
  loss.item(), backward, global-norm clipping at 1.0, AdamW (lr 1e-3, betas 0.9/0.999, eps 1e-8,
  no weight decay) on the adapter's parameters, zero_grad.
* report: tokens per second = batch·seq / the median wall time of the measured steps (the warm-up
  steps are not timed), and the process's peak RSS.

Mixtape computes the output head and the loss as one op, a block of rows at a time, so the
[batch·seq, vocab] logits never exist whole. By default this script does what a plain PyTorch
training loop does (the full logits, then F.cross_entropy); --blocked-loss does Mixtape's
algorithm instead, to tell that memory saving apart from the rest.

`bench/run finetune` runs it with a current PyTorch: the CPU wheel from `pip install torch`, which
multiplies with MKL and oneDNN, installed once into the virtual environment bench/target/python.
Debian's `python3-torch` works too, and calls the system's libblas.so.3 (the slow reference BLAS
unless an OpenBLAS package is installed). The "blas" field of the result says which BLAS torch used.
From the repository root:

    bench/target/python/bin/python bench/python/finetune.py --shape stories15M --adapter lora

Progress goes to standard error; standard output gets one JSON line with the results.
"""

import argparse
import json
import math
import os
import resource
import statistics
import sys
import time
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass(frozen=True)
class Shape:
    """A model shape of the benchmark (bench's FinetuneShape), with its batch and default steps."""
    dim: int
    hidden_dim: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab_size: int
    norm_eps: float
    rope_theta: float
    batch: int
    seq: int
    warmup: int
    steps: int


SHAPES = {
    "stories15M": Shape(dim=288, hidden_dim=768, layers=6, heads=6, kv_heads=6, head_dim=48, vocab_size=32000,
                        norm_eps=1e-5, rope_theta=10000.0, batch=8, seq=256, warmup=3, steps=8),
    "SmolLM2-135M": Shape(dim=576, hidden_dim=1536, layers=30, heads=9, kv_heads=3, head_dim=64, vocab_size=49152,
                          norm_eps=1e-5, rope_theta=100000.0, batch=4, seq=256, warmup=2, steps=5),
}

PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
RANK = 8
ALPHA = 16
LEARNING_RATE = 1e-3
CLIP_NORM = 1.0
# Logits held at once by --blocked-loss, in elements (Mixtape's BlockedLinearCrossEntropy uses the same).
LOSS_BLOCK_ELEMENTS = 1 << 23


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------

class RMSNorm(nn.Module):
    """w ⊙ x / sqrt(mean(x²) + eps) over the last dimension."""

    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(head_dim, seq, theta):
    """cos and sin [seq, head_dim] of the angles position·θ^(−2j/head_dim), each pair j repeated in both halves."""
    inverse_frequencies = theta ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    angles = torch.outer(torch.arange(seq, dtype=torch.float64), inverse_frequencies)
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos().float(), angles.sin().float()


def apply_rope(x, cos, sin):
    """Rotates each pair of dimensions (j, j + head_dim/2) of x [..., seq, head_dim] by its angle."""
    first, second = x.chunk(2, dim=-1)
    return x * cos + torch.cat([-second, first], dim=-1) * sin


class Attention(nn.Module):
    """Grouped-query causal self-attention with rotary embeddings."""

    def __init__(self, shape):
        super().__init__()
        self.heads = shape.heads
        self.kv_heads = shape.kv_heads
        self.head_dim = shape.head_dim
        self.q_proj = nn.Linear(shape.dim, shape.heads * shape.head_dim, bias=False)
        self.k_proj = nn.Linear(shape.dim, shape.kv_heads * shape.head_dim, bias=False)
        self.v_proj = nn.Linear(shape.dim, shape.kv_heads * shape.head_dim, bias=False)
        self.o_proj = nn.Linear(shape.heads * shape.head_dim, shape.dim, bias=False)

    def forward(self, x, cos, sin, mask):
        batch, seq, _ = x.shape
        group = self.heads // self.kv_heads
        q = self.q_proj(x).view(batch, seq, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(batch, seq, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(batch, seq, self.kv_heads, self.head_dim).transpose(1, 2)
        q = apply_rope(q, cos, sin) / math.sqrt(self.head_dim)
        k = apply_rope(k, cos, sin)
        # The `group` query heads that share a key/value head are neighbours, so q [B, heads, T, hd]
        # can be viewed as [B, kv_heads, group·T, hd]: each kv head's queries stacked as rows, multiplied
        # by its keys without copying them once per query head. `mask` is the causal mask of those rows.
        q = q.reshape(batch, self.kv_heads, group * seq, self.head_dim)
        probabilities = torch.softmax(q @ k.transpose(-2, -1) + mask, dim=-1)
        out = (probabilities @ v).view(batch, self.heads, seq, self.head_dim)
        return self.o_proj(out.transpose(1, 2).reshape(batch, seq, self.heads * self.head_dim))


class Mlp(nn.Module):
    """SwiGLU feed-forward: down(silu(gate(x)) ⊙ up(x))."""

    def __init__(self, shape):
        super().__init__()
        self.gate_proj = nn.Linear(shape.dim, shape.hidden_dim, bias=False)
        self.up_proj = nn.Linear(shape.dim, shape.hidden_dim, bias=False)
        self.down_proj = nn.Linear(shape.hidden_dim, shape.dim, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    """One decoder block: x + attention(norm(x)), then + mlp(norm(·))."""

    def __init__(self, shape):
        super().__init__()
        self.self_attn = Attention(shape)
        self.mlp = Mlp(shape)
        self.input_layernorm = RMSNorm(shape.dim, shape.norm_eps)
        self.post_attention_layernorm = RMSNorm(shape.dim, shape.norm_eps)

    def forward(self, x, cos, sin, mask):
        h = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return h + self.mlp(self.post_attention_layernorm(h))


class Llama(nn.Module):
    """A Llama language model whose output head is its token embedding (tied)."""

    def __init__(self, shape):
        super().__init__()
        self.shape = shape
        self.embed_tokens = nn.Embedding(shape.vocab_size, shape.dim)
        self.layers = nn.ModuleList(Block(shape) for _ in range(shape.layers))
        self.norm = RMSNorm(shape.dim, shape.norm_eps)
        cos, sin = rope_tables(shape.head_dim, shape.seq, shape.rope_theta)
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)
        group = shape.heads // shape.kv_heads
        causal = torch.full((shape.seq, shape.seq), float("-inf")).triu(1)
        self.register_buffer("mask", causal.repeat(group, 1))

    def hidden(self, ids):
        """The final norm's output [batch, seq, dim] for ids [batch, seq]."""
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, self.cos, self.sin, self.mask)
        return self.norm(x)

    def loss(self, ids, targets, blocked=False):
        """Mean cross-entropy of the next-token predictions for ids [batch, seq] against targets [batch, seq]."""
        hidden = self.hidden(ids).reshape(-1, self.shape.dim)
        if blocked:
            return BlockedHeadLoss.apply(hidden, self.embed_tokens.weight, targets.reshape(-1))
        logits = F.linear(hidden, self.embed_tokens.weight)
        return F.cross_entropy(logits, targets.reshape(-1))


class BlockedHeadLoss(torch.autograd.Function):
    """
    The output head and the mean cross-entropy as one op, as Mixtape computes them: logits = x·Wᵀ a
    block of rows at a time, each block's share of the gradient of x computed while its logits are at
    hand, so the [rows, vocab] logits never exist whole. The head weight W must be frozen.
    """

    @staticmethod
    def forward(ctx, hidden, weight, targets):
        rows, vocab = hidden.shape[0], weight.shape[0]
        block = max(1, LOSS_BLOCK_ELEMENTS // vocab)
        total = torch.zeros((), dtype=hidden.dtype)
        grad_hidden = torch.empty_like(hidden)
        for start in range(0, rows, block):
            block_targets = targets[start:start + block]
            log_probabilities = torch.log_softmax(hidden[start:start + block] @ weight.t(), dim=-1)
            picked = log_probabilities.gather(1, block_targets.unsqueeze(1))
            total -= picked.sum()
            # d(loss)/d(logits) = (softmax − one_hot(target)) / rows
            grad_logits = log_probabilities.exp_()
            grad_logits.scatter_add_(1, block_targets.unsqueeze(1), torch.full_like(picked, -1.0))
            grad_hidden[start:start + block] = (grad_logits @ weight) / rows
        ctx.save_for_backward(grad_hidden)
        return total / rows

    @staticmethod
    def backward(ctx, grad_loss):
        (grad_hidden,) = ctx.saved_tensors
        return grad_hidden * grad_loss, None, None


# ---------------------------------------------------------------------------------------------
# The adapter
# ---------------------------------------------------------------------------------------------

class LoraLinear(nn.Module):
    """A frozen bias-free Linear plus a low-rank update: base(x) + s·x·Aᵀ·Mᵀ·Bᵀ (M for MoSLoRA only)."""

    def __init__(self, base, rank, alpha, mixer):
        super().__init__()
        self.base_layer = base
        self.scaling = alpha / rank
        self.lora_A = nn.Parameter(torch.empty(rank, base.in_features))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_AB = None
        if mixer:
            self.lora_AB = nn.Parameter(torch.empty(rank, rank))
            nn.init.kaiming_uniform_(self.lora_AB, a=math.sqrt(5))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x):
        down = self.lora_A if self.lora_AB is None else self.lora_AB @ self.lora_A
        update = F.linear(F.linear(x, down) * self.scaling, self.lora_B)
        return self.base_layer(x) + update


def add_adapter(model, mixer):
    """Freezes the model, wraps every targeted projection in a LoraLinear, returns the adapter's parameters."""
    model.requires_grad_(False)
    for block in model.layers:
        for parent in (block.self_attn, block.mlp):
            for name in PROJECTIONS:
                if hasattr(parent, name):
                    setattr(parent, name, LoraLinear(getattr(parent, name), RANK, ALPHA, mixer))
    return [p for p in model.parameters() if p.requires_grad]


# ---------------------------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------------------------

def train_step(model, parameters, optimizer, tokens, blocked_loss):
    """One step on tokens [batch, seq + 1]: each row's first seq ids are read, its last seq predicted."""
    loss = model.loss(tokens[:, :-1], tokens[:, 1:], blocked_loss)
    value = loss.item()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(parameters, CLIP_NORM)
    optimizer.step()
    optimizer.zero_grad()
    return value


def blas_in_use():
    """The BLAS torch multiplies with: MKL where torch was built with it (the pip wheels), else the
    BLAS library this process loaded (Debian's torch uses the system libblas.so.3)."""
    if torch.backends.mkl.is_available():
        return f"MKL, CPU capability {torch.backends.cpu.get_cpu_capability()}"
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.rsplit("/", 1)[-1]}
    return ", ".join(sorted(os.path.realpath(path) for path in paths)) or "unknown"


def peak_rss_mb():
    """The process's peak resident set size in MiB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=SHAPES, required=True)
    parser.add_argument("--adapter", choices=("lora", "moslora"), required=True)
    parser.add_argument("--warmup", type=int, help="untimed steps first (default: the shape's, as in bench)")
    parser.add_argument("--steps", type=int, help="measured steps (default: the shape's, as in bench)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--blocked-loss", action="store_true",
                        help="compute the head and loss a block of rows at a time, as Mixtape does")
    args = parser.parse_args()
    shape = SHAPES[args.shape]
    warmup = shape.warmup if args.warmup is None else args.warmup
    measured = shape.steps if args.steps is None else args.steps
    if warmup < 0 or measured < 1:
        parser.error("--warmup must be >= 0 and --steps >= 1")
    torch.set_num_threads(args.threads)

    torch.manual_seed(1)
    model = Llama(shape)
    parameters = add_adapter(model, mixer=args.adapter == "moslora")
    model.train()
    optimizer = torch.optim.AdamW(parameters, lr=LEARNING_RATE, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)

    data = torch.Generator().manual_seed(4)
    label = f"{args.shape} {args.adapter} torch {torch.__version__} ({args.threads} threads)"
    seconds, cpu_seconds, losses = [], [], []
    for step in range(warmup + measured):
        tokens = torch.randint(0, shape.vocab_size, (shape.batch, shape.seq + 1), generator=data)
        start, cpu_start = time.perf_counter(), time.process_time()
        losses.append(train_step(model, parameters, optimizer, tokens, args.blocked_loss))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        warming = step < warmup
        if not warming:
            seconds.append(elapsed)
            cpu_seconds.append(cpu)
        print(f"{label}: {'warm-up' if warming else 'measured'} step "
              f"{step + 1 if warming else step - warmup + 1}/{warmup if warming else measured} "
              f"{elapsed:.3f} s (CPU {cpu:.3f} s), loss {losses[-1]:.4f}", file=sys.stderr, flush=True)

    median = statistics.median(seconds)
    median_cpu = statistics.median(cpu_seconds)
    print(json.dumps({
        "shape": args.shape,
        "adapter": args.adapter,
        "loss": "blocked" if args.blocked_loss else "full",
        "torch": torch.__version__,
        "blas": blas_in_use(),
        "threads": args.threads,
        "warmup": warmup,
        "steps": measured,
        "median_step_s": round(median, 4),
        "median_cpu_s": round(median_cpu, 4),
        "cores_busy": round(median_cpu / median, 2),
        "tokens_per_s": round(shape.batch * shape.seq / median, 1),
        "peak_rss_mb": round(peak_rss_mb()),
        "adapter_params": sum(p.numel() for p in parameters),
        "first_loss": round(losses[0], 4),
        "last_loss": round(losses[-1], 4),
    }))


if __name__ == "__main__":
    main()
