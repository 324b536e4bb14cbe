"""`synth demo`: the README's main command. Builds the tiny world (printing each model's own `arith`
score), runs the tiny scale-up loop on data the tiny ScaleQuest pipeline makes, and ends with the
leaderboard of the points beside the base model, the scaling plot's path and a one-line verdict."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "scaleup-tiny.yaml"


def run(args: argparse.Namespace) -> int:
    from synth.scaleup.cli import run as scale_up
    from synth.tiny import build_tiny_models

    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(var, "1")
    start = time.monotonic()
    os.environ["SYNTH_TINY_DIR"] = args.models
    os.environ["SYNTH_OUT"] = str(Path(args.out) / "synth")
    print(f"== tiny models in {args.models} (built once; each measured on arith through harness eval)", flush=True)
    build_tiny_models(args.models)
    print(f"\n== synth scale-up {args.recipe}  (the tiny ScaleQuest pipeline first, when its export is missing)",
          flush=True)
    code = scale_up(argparse.Namespace(recipe=args.recipe, fail_on_regression=args.fail_on_regression,
                                       executor="local", workers=1, out=str(Path(args.out) / "scaleup")))
    out = Path(args.out) / "scaleup"
    print(f"\n== leaderboard: the scale-up points beside the base model ({out / 'leaderboard.md'})\n"
          f"{(out / 'leaderboard.md').read_text()}")
    print(f"scaling plot: {out / 'scaling.png'}")
    print(f"demo finished in {time.monotonic() - start:.0f} s")
    print(verdict_line(json.loads((out / "scale_up.json").read_text())))
    return code


def verdict_line(doc: dict[str, Any]) -> str:
    """One line: how the gated scores moved from the first point to the last, and the gate's answer."""
    points = doc["points"]
    names = doc["gate"]["benchmarks"] or list(points[-1]["metrics"])
    first, last = points[1], points[-1]
    moves = ", ".join(f"{n} {100 * first['metrics'][n]['score']:.1f}% -> {100 * last['metrics'][n]['score']:.1f}%"
                      for n in names)
    if doc["gate"]["passed"]:
        return (f"verdict: no significant regression of the newest point; {moves} from {first['size']} to "
                f"{last['size']} rows")
    failed = ", ".join(f["benchmark"] for f in doc["gate"]["failures"])
    return f"verdict: REGRESSION on {failed}: the newest point ({points[-1]['size']} rows) is significantly worse"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="the tiny world end to end: models, pipeline, scale-up, leaderboard, verdict")
    p.add_argument("--models", default=".cache/synth-tiny", help="tiny checkpoints (default .cache/synth-tiny)")
    p.add_argument("--out", default="demo-out", help="pipeline and scale-up output (default demo-out)")
    p.add_argument("--recipe", default=str(RECIPE))
    p.add_argument("--fail-on-regression", action="store_true")
    p.set_defaults(fn=run)
