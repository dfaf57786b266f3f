"""Fidelity at equal wall clock: tabgan with its defaults against ctgan 0.12.1.

For each table (see ``tables.py``) and budget, tabgan trains ``TabGAN(max_minutes=M)`` on the
80% training split, and ctgan trains one run whose clock starts when ``fit`` is called (its
transformer's fit counts) and is sampled when it reaches each budget (the clock stops while
it samples). Both synthetic tables, of the training split's size, are scored by an
independent scorer (``scoring.py``: SDMetrics' QualityReport and scikit-learn's
HistGradientBoosting, not tabgan's evaluation). One line per model and budget; a PNG of
each score against minutes.

    python benchmarks/fidelity.py                          # adult, 2 5 10 minutes
    python benchmarks/fidelity.py --tables adult credit labsup --minutes 2 5 10
    python benchmarks/fidelity.py --tables credit --minutes 3 --skip-reference
    python benchmarks/fidelity.py --minutes 2 --set numeric_encoding='"mixture"' --label ablation
    python benchmarks/fidelity.py --skip-reference --set epochs=30 --minutes 0   # fixed epochs
    python benchmarks/fidelity.py --skip-reference --minutes 10 --pools 8 1  # raking or not
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import time
import warnings
from pathlib import Path

import scoring
import tables

from tabgan import TabGAN, sampling

METRICS = ("shapes", "trends", "tstr", "detection")


def _fit_tabgan(train, minutes, seed, params, pools=(None,)):
    """One fit; a synthetic table of the training split's size and its facts for every
    ``sample_pool`` in ``pools`` (None: the model's own), all from the same fit."""
    budget = {} if "epochs" in params else {"max_minutes": minutes}
    model = TabGAN(random_state=seed, verbose=False, **budget, **params).fit(train)
    seconds = model.history_["seconds"]
    info = {"epochs": len(model.history_), "s_per_epoch": float(statistics.median(seconds)),
            "fit_seconds": model.fit_seconds_, "sampled_epoch": model.sampled_epoch_}
    out = []
    for pool in pools:
        if pool is not None:
            model.set_params(sample_pool=pool)
        started = time.perf_counter()
        synthetic = model.sample(len(train), random_state=seed + 1)
        out.append((synthetic, {**info, "sample_pool": sampling.resolved_pool(
                                    model.sample_pool, model.epsilon),
                                "sample_seconds": time.perf_counter() - started}))
    return out


def _with_null_columns(frame):
    """ctgan refuses nulls in numeric columns: as SDV does for it (RDT's missing-value
    columns), each numeric column with nulls gets a categorical null flag beside it and its
    nulls are filled with its mean. Returns the frame and how to undo it."""
    frame = frame.copy()
    flagged = []
    for c in list(frame.columns):
        if not scoring.is_categorical(frame[c]) and frame[c].isna().any():
            frame[f"{c}.is_null"] = frame[c].isna().map({True: "yes", False: "no"})
            frame[c] = frame[c].fillna(frame[c].mean())
            flagged.append(c)

    def undo(synthetic):
        synthetic = synthetic.copy()
        for c in flagged:
            synthetic.loc[synthetic[f"{c}.is_null"] == "yes", c] = float("nan")
        return synthetic.drop(columns=[f"{c}.is_null" for c in flagged])

    return frame, undo


def _fit_ctgan(train, minutes: list[float], seed):
    """One ctgan run, sampled when its clock reaches each budget."""
    import ctgan.synthesizers.ctgan as module
    import torch
    from ctgan import CTGAN

    torch.manual_seed(seed)
    clock = {"start": time.perf_counter(), "paused": 0.0, "last": None}
    train, undo = _with_null_columns(train)
    discrete = [c for c in train.columns if scoring.is_categorical(train[c])]
    model = CTGAN(epochs=1_000_000, verbose=False)
    model.set_random_state(seed)
    budgets = sorted(minutes)
    results, epoch_seconds = {}, []
    original = module.tqdm

    def elapsed():
        return time.perf_counter() - clock["start"] - clock["paused"]

    def timed(iterable, *args, **kwargs):
        for item in original(iterable, *args, **kwargs):
            now = elapsed()
            if clock["last"] is not None:
                epoch_seconds.append(now - clock["last"])
            while budgets and now >= 60.0 * budgets[0]:
                pause = time.perf_counter()
                results[budgets[0]] = (undo(model.sample(len(train))), {
                    "epochs": len(epoch_seconds),
                    "s_per_epoch": float(statistics.median(epoch_seconds or [float("nan")])),
                    "fit_seconds": now,
                })
                budgets.pop(0)
                clock["paused"] += time.perf_counter() - pause
            if not budgets:
                return
            clock["last"] = elapsed()
            yield item

    module.tqdm = timed
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(train, discrete)
    finally:
        module.tqdm = original
    return results


def _line(table, model, minutes, info, s, label):
    column, value = s["worst_column"]
    spike_col = s["spikes"]["worst"]
    spike = s["spikes"]["columns"].get(spike_col, (None, float("nan"), float("nan")))
    return (
        f"{table:<7} {model:<6} {label + ' ' if label else ''}{minutes:>4g} min  "
        f"epochs {info['epochs']:>4}{_sampled(info)}  s/epoch {info['s_per_epoch']:5.2f}  "
        f"{_pool(info)}"
        f"shapes {s['shapes']:.3f}  trends {s['trends']:.3f}  TSTR {s['tstr']:.3f} "
        f"(real {s['trtr']:.3f})  detection {s['detection']:.3f}  "
        f"worst column {column} {value:.3f}  "
        f"spike {spike_col} {spike[1]:.1%}->{spike[2]:.1%}  "
        f"copies {s['copies']:.4f} (holdout {s['copies_holdout']:.4f})  DCR {s['dcr_share']:.3f}"
    )


def _pool(info) -> str:
    """The sampling pool and the time the sample took, for tabgan's lines."""
    if "sample_pool" not in info:
        return ""
    return f"pool {info['sample_pool']} (sample {info['sample_seconds']:.1f} s)  "


def _sampled(info) -> str:
    """`` (sampled N)`` when the model samples with the weights of an earlier epoch."""
    epoch = info.get("sampled_epoch")
    return "" if epoch is None or epoch == info["epochs"] else f" (sampled {epoch})"


def _save(folder, table, model, label, minutes, synthetic) -> None:
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        tag = "_".join(p for p in (table, model, label, f"{minutes:g}min") if p)
        synthetic.to_parquet(Path(folder) / f"{tag}.parquet", index=False)


def _plot(rows, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted({r["table"] for r in rows})
    fig, axes = plt.subplots(len(names), len(METRICS), figsize=(4 * len(METRICS),
                                                                 3 * len(names)),
                             squeeze=False)
    for i, name in enumerate(names):
        for j, metric in enumerate(METRICS):
            ax = axes[i][j]
            for model in ("tabgan", "ctgan"):
                pts = sorted((r["minutes"], r["scores"][metric]) for r in rows
                             if r["table"] == name and r["model"] == model)
                if pts:
                    ax.plot(*zip(*pts, strict=True), marker="o", label=model)
            ax.set_title(f"{name}: {metric}")
            ax.set_xlabel("minutes")
            ax.grid(alpha=0.3)
            if i == 0 and j == 0:
                ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", nargs="+", default=["adult"], choices=tables.TABLES)
    parser.add_argument("--minutes", nargs="+", type=float, default=[2.0, 5.0, 10.0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-reference", action="store_true", help="tabgan only")
    parser.add_argument("--skip-tabgan", action="store_true", help="ctgan only")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="PARAM=VALUE", help="a TabGAN parameter (a Python literal)")
    parser.add_argument("--label", default="", help="a label for the tabgan lines")
    parser.add_argument("--pools", nargs="+", type=int, default=None,
                        help="sample every tabgan fit with each of these sample_pool values "
                             "(one line each, from the same fit)")
    parser.add_argument("--json", default=None, help="append every result to this JSON file")
    parser.add_argument("--png", default="fidelity.png", help="plot of score against minutes")
    parser.add_argument("--save-dir", default=None,
                        help="also write every synthetic table here, as Parquet")
    args = parser.parse_args()
    params = {}
    for item in args.overrides:
        key, _, value = item.partition("=")
        params[key] = ast.literal_eval(value)
    warnings.filterwarnings("ignore")
    print(f"{os.cpu_count()} CPU cores; load average {os.getloadavg()[0]:.1f}; tabgan "
          f"parameters {params or 'defaults'}", flush=True)

    rows = []
    for name in args.tables:
        table = tables.load(name)
        train, test = tables.split(table, args.seed)
        trtr = scoring.tstr(train, test, table.target, table.positive, args.seed)
        print(f"{name}: {len(train)} train rows, {len(test)} test rows, {train.shape[1]} "
              f"columns; real train TSTR (TRTR) {trtr:.3f}", flush=True)
        if not args.skip_tabgan:
            for minutes in args.minutes:
                for synthetic, info in _fit_tabgan(train, minutes, args.seed, params,
                                                   args.pools or (None,)):
                    label = (args.label if not args.pools else
                             " ".join(p for p in (args.label, f"pool={info['sample_pool']}")
                                      if p))
                    _save(args.save_dir, name, "tabgan", label, minutes, synthetic)
                    s = scoring.score(train, test, synthetic, table.target, table.positive,
                                      args.seed)
                    s["trtr"] = trtr
                    print(_line(name, "tabgan", minutes, info, s, label), flush=True)
                    rows.append({"table": name, "model": "tabgan", "minutes": minutes,
                                 "label": label, "params": params, "info": info,
                                 "scores": s})
        if not args.skip_reference:
            for minutes, (synthetic, info) in sorted(_fit_ctgan(train, args.minutes,
                                                                args.seed).items()):
                _save(args.save_dir, name, "ctgan", "", minutes, synthetic)
                s = scoring.score(train, test, synthetic, table.target, table.positive,
                                  args.seed)
                s["trtr"] = trtr
                print(_line(name, "ctgan", minutes, info, s, ""), flush=True)
                rows.append({"table": name, "model": "ctgan", "minutes": minutes,
                             "info": info, "scores": s})
    if args.png:
        _plot(rows, Path(args.png))
        print(f"wrote {args.png}")
    if args.json:
        path = Path(args.json)
        old = json.loads(path.read_text()) if path.exists() else []
        path.write_text(json.dumps(old + rows, indent=1, default=str))


if __name__ == "__main__":
    main()
