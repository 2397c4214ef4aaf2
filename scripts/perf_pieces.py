"""What each piece of tp2's training loop buys, measured: one piece switched on at a time, interleaved.

    python scripts/perf_pieces.py [--batch-size 128] [--threads 2]

Rows: plain ``model.fit``; tp2's whole-epoch compiled loop with Keras' own Adam; + TF's fused one-pass Adam
(tp2 as it trains); tp2 with the all-weights finiteness check every step instead of once per epoch. Same model
(model2, 3×Dense(1000)), data and epoch order; one warm-up epoch, then the median of 5 (TensorFlow backend).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from tp2core.training.backend import configure_threads, enable_determinism


def loop_runner(case, x, y, *, fused: bool, checked: bool):
    import keras

    from tp2core.training import fastfit
    from tp2core.recipe.models import build_model, compile_model

    keras.utils.set_random_seed(0)
    model = build_model(case.variant)
    compile_model(model, case.variant)
    loop = fastfit.EpochLoop(model, case.batch_size)
    loop.fused = fused  # False: Keras' optimizer.apply inside the same compiled loop
    xt, yt = loop.resident(x), loop.resident(y)
    epochs = iter(range(10**6))

    def run() -> float:
        started = time.perf_counter()
        loop.train_epoch(xt, yt, fastfit.epoch_order(0, next(epochs), len(x)), checked=checked)
        if not checked:
            loop.weights_finite()
        return time.perf_counter() - started

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--steps", type=int, default=40, help="batches per timed epoch")
    args = parser.parse_args()
    configure_threads(args.threads)
    enable_determinism()
    from tp2core.perf import measure as perf

    case = perf.make_cases(["model2"], [args.batch_size], steps=args.steps)[0]
    x, y = perf.synthetic_data(case)
    runners = {
        "plain model.fit": perf.plain_fit_epoch(case, x, y, 0),
        "compiled epoch loop, Keras' Adam": loop_runner(case, x, y, fused=False, checked=False),
        "+ fused Adam (tp2)": loop_runner(case, x, y, fused=True, checked=False),
        "tp2, weights checked every step": loop_runner(case, x, y, fused=True, checked=True),
    }
    seconds: dict[str, list[float]] = {name: [] for name in runners}
    for rep in range(6):
        for name, run in runners.items():
            elapsed = run()
            if rep:  # rep 0: warm-up (tracing)
                seconds[name].append(elapsed)
    print(f"model2, batch {args.batch_size}, {args.threads} threads, load {os.getloadavg()[0]:.1f}")
    for name, times in seconds.items():
        print(f"{name:36s}{case.images / statistics.median(times):9.0f} img/s")


if __name__ == "__main__":
    main()
