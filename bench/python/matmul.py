"""OpenBLAS baseline for Mixtape's matmul table (`bench/run matmul`): numpy's f32 matmul.

numpy's wheels bundle a current OpenBLAS built with DYNAMIC_ARCH, which picks its kernels for the CPU
it runs on (Haswell's on AVX2, SkylakeX's on AVX-512, unless OPENBLAS_CORETYPE says otherwise), so this
is the OpenBLAS a user of today's Python stack gets. Each case is timed as the Java table times its
cells: two warm-up rounds of 0.5 s, three measured rounds of 1 s, and the best round's products per
second is reported. Operands are stored row-major as the Java side stores them and transposed as
views, which numpy hands to sgemm as transpose flags, without copies.

    bench/target/python/bin/python bench/python/matmul.py --threads 1 FORWARD:2048x288x768:label ...

Set the thread count with OPENBLAS_NUM_THREADS in the environment as well (bench/run's table does):
OpenBLAS reads it when it loads. Standard output gets a JSON line describing the library, then one
JSON line per case.
"""

import argparse
import json
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

WARM_UP_ROUNDS, WARM_UP_SECONDS = 2, 0.5
MEASURED_ROUNDS, MEASURED_SECONDS = 3, 1.0

# Which stored operand is read transposed, per form (bench's MatmulForm).
TRANSPOSES = {
    "SQUARE": (False, False),
    "FORWARD": (False, True),
    "INPUT_GRAD": (False, False),
    "WEIGHT_GRAD": (True, False),
}


def operands(form, m, n, k, rng):
    """A and B as the product reads them: views of row-major arrays stored as the Java table stores them."""
    trans_a, trans_b = TRANSPOSES[form]
    a = rng.standard_normal((k, m) if trans_a else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if trans_b else (k, n), dtype=np.float32)
    return (a.T if trans_a else a), (b.T if trans_b else b)


def products_per_second(a, b, out, seconds):
    """Runs the product for about `seconds`; returns products per second."""
    count, start = 0, time.perf_counter()
    while True:
        np.matmul(a, b, out=out)
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed


def gflops(case, rng):
    """The best measured round's GFLOP/s of the case FORM:MxNxK:label."""
    form, sizes, _ = case.split(":", 2)
    m, n, k = (int(size) for size in sizes.split("x"))
    a, b = operands(form, m, n, k, rng)
    out = np.empty((m, n), dtype=np.float32)
    for _ in range(WARM_UP_ROUNDS):
        products_per_second(a, b, out, WARM_UP_SECONDS)
    best = max(products_per_second(a, b, out, MEASURED_SECONDS) for _ in range(MEASURED_ROUNDS))
    return best * 2.0 * m * n * k / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("cases", nargs="+", help="FORM:MxNxK:label, as bench's MatmulCase.id()")
    args = parser.parse_args()
    with threadpool_limits(limits=args.threads, user_api="blas"):
        blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
        if not blas:
            raise SystemExit("numpy loaded no BLAS that threadpoolctl recognises")
        print(json.dumps({"numpy": np.__version__, "library": blas[0]["internal_api"], "version": blas[0]["version"],
                          "architecture": blas[0].get("architecture"), "threads": blas[0]["num_threads"]}), flush=True)
        rng = np.random.default_rng(7)
        for case in args.cases:
            print(json.dumps({"case": case, "gflops": round(gflops(case, rng), 2)}), flush=True)


if __name__ == "__main__":
    main()
