"""`synth run RECIPE` and `synth status DIR`: a thin layer over `synth.pipeline`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.errors import HarnessError


def _run(args: argparse.Namespace) -> int:
    from synth.executors import make_executor
    from synth.pipeline import run_pipeline
    from synth.plan import load_recipe

    recipe = load_recipe(args.recipe, shards=args.shards)
    out = Path(args.out or f"synth-out/{recipe.name}")
    only = [s.strip() for s in args.stages.split(",") if s.strip()] if args.stages else None
    executor = make_executor(args.executor, recipe.executor.workers or recipe.shards, recipe.executor.ray_address)
    try:
        runs = run_pipeline(recipe, out, executor, only)
    finally:
        executor.close()
    for r in runs:
        print(r.summary())
    print(f"output: {out}")
    return 0


def status_rows(out: Path) -> list[dict[str, object]]:
    """One row per stage folder under `out`: done and missing shards, counts, records per second."""
    from synth.io import StageDir
    from synth.stages.export import merged_stats

    rows: list[dict[str, object]] = []
    for meta_path in sorted(out.glob("*/v*/stage.json")):
        meta = json.loads(meta_path.read_text())
        sd = StageDir(meta_path.parent, meta["name"], meta["version"], meta["key"])
        shards = int(meta["shards"])
        done = [s for s in range(shards) if sd.marker(s).exists()]
        st = merged_stats(sd, shards)
        secs = st["seconds"]
        rows.append({"stage": meta["name"], "version": meta["version"], "dir": str(sd.root),
                     "done": done, "missing": [s for s in range(shards) if s not in done],
                     "in": st["in"], "out": st["out"], "dropped": st["dropped"],
                     "tokens": st["prompt_tokens"] + st["completion_tokens"], "seconds": round(secs, 2),
                     "in_per_s": round(st["in"] / secs, 2) if secs else None})
    return rows


def _status(args: argparse.Namespace) -> int:
    out = Path(args.dir)
    if not out.is_dir():
        raise HarnessError(f"no synth output folder at {out}")
    rows = status_rows(out)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'stage':20s} {'ver':>3s} {'done':>7s} {'in':>7s} {'out':>7s} {'in/s':>8s} {'secs':>8s}  dropped")
    for r in rows:
        done = f"{len(r['done'])}/{len(r['done']) + len(r['missing'])}"  # type: ignore[arg-type]
        rate = "-" if r["in_per_s"] is None else f"{r['in_per_s']:.1f}"
        drops = ", ".join(f"{k}={v}" for k, v in r["dropped"].items()) or "-"  # type: ignore[attr-defined]
        print(f"{r['stage']:20s} {r['version']:>3s} {done:>7s} {r['in']:>7} {r['out']:>7} {rate:>8s} "
              f"{r['seconds']:>8}  {drops}")
        if r["missing"]:
            print(f"{'':20s} missing shards: {r['missing']}")
    return 0


def _build_tiny(args: argparse.Namespace) -> int:
    from synth.tiny import build_tiny_models

    for role, path in build_tiny_models(args.dir, seed=args.seed).items():
        print(f"{role:7s} {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="synth", description="ScaleQuest data synthesis as resumable sharded stages")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a recipe (completed shards are skipped)")
    run.add_argument("recipe")
    run.add_argument("--stages", help="comma-separated stage names to run (default: all)")
    run.add_argument("--executor", choices=("local", "ray"), default="local")
    run.add_argument("--shards", type=int, help="override the recipe's shard count")
    run.add_argument("--out", help="output folder (default synth-out/<recipe name>)")
    run.set_defaults(fn=_run)
    status = sub.add_parser("status", help="done and missing shards, counts, records per second")
    status.add_argument("dir")
    status.add_argument("--json", action="store_true")
    status.set_defaults(fn=_status)
    tiny = sub.add_parser("build-tiny", help="build the tiny CPU checkpoints recipes/tiny.yaml uses")
    tiny.add_argument("dir")
    tiny.add_argument("--seed", type=int, default=0)
    tiny.set_defaults(fn=_build_tiny)
    from synth.scaleup.cli import add_parser as add_scaleup

    add_scaleup(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `synth` console script; user errors print one line and exit 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except HarnessError as exc:
        print(f"synth: error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
