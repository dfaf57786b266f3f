"""How fit and sample grow with the rows and the columns of a table.

Makes synthetic tables (half numeric columns with two modes and a few nulls, half
categorical with 3 to 60 categories, all tied to two latent factors so that columns
correlate), then for each size runs, in a fresh process:

- ``fit``: seconds per epoch (the median of the epochs after the first), the time of
  transformer fit plus encoding, the peak memory of the process during the fit and what
  the fit added to the process holding its table, next to the estimate the fit printed;
- ``sample``: the seconds to generate as many rows as the table has (in chunks of 50,000,
  as ``tabgan sample`` does), the peak memory while sampling and what sampling added.

Rows sweep 10k, 100k, 1M at 20 columns; columns sweep 10, 50, 200 at 100k rows. For each
sweep it prints the growth exponent b of time ~ size^b and of the memory added (a
least-squares fit on log-log axes). Last, it streams 10,000,000
rows to Parquet through ``tabgan sample`` and reports that process's peak memory.

    python benchmarks/scale.py                # the full grid (about half an hour here)
    python benchmarks/scale.py --quick        # 2k/8k/32k rows, 10/20/40 columns, 1M sampled
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_table(n_rows: int, n_columns: int, seed: int = 0) -> pd.DataFrame:
    """A table with ``n_columns`` columns, half numeric and half categorical."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n_rows, 2))
    out = {}
    for j in range(n_columns):
        w = rng.normal(size=2)
        signal = z @ w + 0.5 * rng.normal(size=n_rows)
        if j % 2 == 0:
            mode = signal > np.quantile(signal, 0.3)
            values = np.where(mode, 10 + 2 * signal, -5 + 0.5 * signal) * (1 + j % 7)
            if j % 4 == 0:
                values = np.round(values)
            values[rng.random(n_rows) < 0.02] = np.nan
            out[f"num_{j}"] = values
        else:
            k = 3 + (j * 7) % 58
            edges = np.quantile(signal, np.linspace(0, 1, k + 1)[1:-1])
            out[f"cat_{j}"] = np.char.add("v", np.searchsorted(edges, signal).astype(str))
    return pd.DataFrame(out)


def _memory(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak since the last reset) of this process, in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> None:
    """Start a new peak: writing 5 to clear_refs resets VmHWM to the current RSS."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def _child(spec: dict) -> None:
    """Run one measurement in this (fresh) process and print its JSON line."""
    import gc

    import torch

    from tabgan import TabGAN

    torch.set_num_threads(int(os.environ.get("TABGAN_BENCH_THREADS", "2")))
    data = make_table(spec["rows"], spec["columns"])
    gc.collect()
    _reset_peak()
    base = _memory("VmRSS")  # the process with its table: what fit adds is measured on top
    model = TabGAN(epochs=spec["epochs"], random_state=0, verbose=False)
    start = time.perf_counter()
    model.fit(data)
    fit_total = time.perf_counter() - start
    epochs = model.history_["seconds"].tolist()
    fit_peak = _memory("VmHWM")
    per_epoch = float(np.median(epochs[1:] if len(epochs) > 1 else epochs))
    del data
    gc.collect()
    _reset_peak()
    sample_base = _memory("VmRSS")
    start = time.perf_counter()
    rows = 0
    for chunk in model.iter_sample(spec["rows"], batch_size=50_000, random_state=1):
        rows += len(chunk)
    sample_s = time.perf_counter() - start
    print(json.dumps({
        **spec,
        "per_epoch": per_epoch,
        "prepare": fit_total - sum(epochs),
        "fit_peak": fit_peak,
        "base": base,
        "sample": sample_s,
        "sample_base": sample_base,
        "sample_peak": _memory("VmHWM"),
        "estimate": model.memory_estimate_.total / 2**20,
        "sampled": rows,
    }), flush=True)


def _measure(spec: dict) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"measurement {spec} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def exponent(sizes, values) -> float:
    """b in values ~ sizes^b, by least squares on log-log axes."""
    x, y = np.log(np.asarray(sizes, float)), np.log(np.maximum(np.asarray(values, float), 1e-9))
    return float(np.polyfit(x, y, 1)[0])


def _sweep(name: str, key: str, specs: list[dict]) -> None:
    results = []
    print(f"\n{name}")
    print(f"{'rows':>10} {'cols':>5} {'s/epoch':>9} {'prepare s':>10} {'fit peak MiB':>13} "
          f"{'(+ over table)':>15} {'estimate MiB':>13} {'sample s':>9} {'sample peak MiB':>16} "
          f"{'(+)':>6}")
    for spec in specs:
        r = _measure(spec)
        results.append(r)
        print(f"{r['rows']:>10,} {r['columns']:>5} {r['per_epoch']:>9.2f} {r['prepare']:>10.2f} "
              f"{r['fit_peak']:>13.0f} {r['fit_peak'] - r['base']:>15.0f} "
              f"{r['estimate']:>13.0f} {r['sample']:>9.2f} {r['sample_peak']:>16.0f} "
              f"{r['sample_peak'] - r['sample_base']:>6.0f}", flush=True)
    sizes = [r[key] for r in results]
    grow = lambda values: exponent(sizes, values)  # noqa: E731
    print(f"growth exponent in {key}: fit s/epoch {grow([r['per_epoch'] for r in results]):.2f}, "
          f"fit memory (+) {grow([r['fit_peak'] - r['base'] for r in results]):.2f}, "
          f"sample s {grow([r['sample'] for r in results]):.2f}, "
          f"sample memory (+) "
          f"{grow([max(r['sample_peak'] - r['sample_base'], 1) for r in results]):.2f}")


def _stream(rows: int, fmt: str) -> None:
    from tabgan import TabGAN

    with tempfile.TemporaryDirectory() as tmp:
        model_path = Path(tmp) / "model.tabgan"
        TabGAN(epochs=1, random_state=0, verbose=False).fit(make_table(10_000, 10)).save(
            model_path)
        out = Path(tmp) / f"synthetic.{fmt}"
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "tabgan", "sample", str(model_path), "-n",
                                 str(rows), "-o", str(out), "--seed", "0", "--quiet"])
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - start
        if status != 0:
            raise SystemExit(f"tabgan sample failed with status {status}")
        print(f"\ntabgan sample -n {rows:,} -o synthetic.{fmt}: {took:.1f} s, "
              f"{os.path.getsize(out) / 2**20:,.0f} MiB written, peak memory "
              f"{usage.ru_maxrss / 1024:,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="Small sizes, for a smoke run.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--skip-stream", action="store_true", help="Skip the 10M-row stream.")
    args = parser.parse_args()
    if args.child:
        _child(json.loads(args.child))
        return
    if args.quick:
        row_sizes, col_sizes, col_rows, stream_rows = [2_000, 8_000, 32_000], [10, 20, 40], \
            8_000, 1_000_000
    else:
        row_sizes, col_sizes, col_rows, stream_rows = [10_000, 100_000, 1_000_000], \
            [10, 50, 200], 100_000, 10_000_000
    print(f"scale benchmark: {os.cpu_count()} cores, torch threads "
          f"{os.environ.get('TABGAN_BENCH_THREADS', '2')}; load average "
          f"{os.getloadavg()[0]:.1f}")
    epochs = lambda rows: 3 if rows <= 100_000 else 2  # noqa: E731
    _sweep("rows (20 columns)", "rows",
           [{"rows": n, "columns": 20, "epochs": epochs(n)} for n in row_sizes])
    _sweep(f"columns ({col_rows:,} rows)", "columns",
           [{"rows": col_rows, "columns": c, "epochs": epochs(col_rows)} for c in col_sizes])
    if not args.skip_stream:
        _stream(stream_rows, "parquet")
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
