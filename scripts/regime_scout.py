"""Issue 21: does a candidate scale train models that learn, and what does it cost? Trains variants under a
candidate profile (a scale: images per class, epoch divisor, width divisor, input pooling, batch as the notes') on
a dataset, 1 thread per process as the suite trains, and prints per run the final train / validation accuracy, the
epoch of the best validation accuracy and the fit time. It prints no verdict: a scale is chosen by whether its models
learn and what they cost (issue 21's R1 and R4), never by which way a claim comes out.

    PYTHONPATH=. python scripts/regime_scout.py --train-per-class 100 --epoch-div 10 --width-div 10 --pool 2 \
        --variants model0,model2,model3,model4 --seeds 0 --jobs 2 [--out docs/regime.md]

``--out`` appends the candidate's table to a Markdown file (docs/regime.md holds the measurements that chose quick).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import multiprocessing
import os
import platform
import time
from pathlib import Path


def candidate(args) -> "object":
    from tp2core.recipe.variants import Profile

    div, wdiv = args.epoch_div, args.width_div
    epochs = {e: max(1, e // div) for e in (10, 100, 1000, 2000)}
    epochs[60] = 60
    widths = {1000: 1000 // wdiv, 10000: 10000 // wdiv}
    return Profile(name="scout", train_per_class=args.train_per_class, test_per_class=args.test_per_class,
                   epochs=epochs, widths=widths, input_pool=args.pool, keep_bug_share=True, seeds=1)


def _init() -> None:
    os.environ["TP2_THREADS"] = "1"


def _train(args, variant: str, seed: int) -> dict:
    from tp2core.data.load import load_dataset
    from tp2core.recipe.variants import get_variant
    from tp2core.training.train import train

    dataset = load_dataset(args.dataset)
    started = time.perf_counter()
    r = train(get_variant(variant), seed, dataset, candidate(args))
    val = r.history.get("val_accuracy") or [0.0]
    best = max(range(len(val)), key=val.__getitem__) + 1
    return {"variant": variant, "seed": seed, "val": 100 * (r.val_accuracy or 0), "train": 100 * (r.train_accuracy or 0),
            "best_epoch": best, "best_val": 100 * val[best - 1], "epochs": len(val), "fit_s": r.train_seconds,
            "wall_s": time.perf_counter() - started, "status": r.status}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="simulated")
    p.add_argument("--train-per-class", type=int, default=100)
    p.add_argument("--test-per-class", type=int, default=50)
    p.add_argument("--epoch-div", type=int, default=10)
    p.add_argument("--width-div", type=int, default=10)
    p.add_argument("--pool", type=int, default=2)
    p.add_argument("--variants", default="model0,model2,model3,model4")
    p.add_argument("--seeds", default="0")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out", type=Path, help="append this candidate's table to a Markdown file")
    args = p.parse_args()
    print(f"# {candidate(args)}", flush=True)
    cells = [(v, int(s)) for v in args.variants.split(",") for s in args.seeds.split(",")]
    ctx = multiprocessing.get_context("spawn")
    rows = []
    with cf.ProcessPoolExecutor(args.jobs, mp_context=ctx, initializer=_init) as pool:
        for fut in cf.as_completed([pool.submit(_train, args, v, s) for v, s in cells]):
            rows.append({k: round(v, 2) if isinstance(v, float) else v for k, v in fut.result().items()})
            print(json.dumps(rows[-1]), flush=True)
    if args.out:
        with args.out.open("a") as f:
            f.write(markdown(args, sorted(rows, key=lambda r: (cells.index((r["variant"], r["seed"]))))))


def markdown(args, rows: list[dict]) -> str:
    """One candidate: its scale and a row per run."""
    title = (f"{args.train_per_class} train / {args.test_per_class} val images per class, epochs ÷{args.epoch_div}, "
             f"widths ÷{args.width_div}, input pooled ×{args.pool}, batch and Adam as the notes, bug share kept")
    lines = [f"### {title}", "", f"`{args.dataset}` data; {platform.processor() or platform.machine()}, 1 thread a run, "
             f"{args.jobs} runs at once.", "",
             "| variant | seed | train acc % | val acc % | best val epoch | fit s |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['variant']} | {r['seed']} | {r['train']:.2f} | {r['val']:.2f} | {r['best_epoch']} of "
              f"{r['epochs']} | {r['fit_s']:.1f} |" for r in rows]
    return "\n".join(lines) + "\n\n"


if __name__ == "__main__":
    main()
