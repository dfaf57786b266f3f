"""How fast ``tabgan sample`` writes a large synthetic table, end to end.

Trains a short model on the Adult table, saves it, then times the command line itself
(``tabgan sample MODEL -n N -o out.csv``: process start, model load, generation, decoding
and the atomic write) several times and prints the median, with the peak memory of the
sampling process.

    python benchmarks/sample_speed.py                 # 1,000,000 rows, CSV, 3 runs
    python benchmarks/sample_speed.py -n 10000000 --format parquet --repeats 1
    python benchmarks/sample_speed.py --pools 8 1     # raking against none, runs interleaved
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tabgan import TabGAN
from tabgan.datasets import load_adult


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pools", nargs="+", type=int, default=None,
                        help="time each --sample-pool value (default: the model's own)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        model_path = Path(tmp) / "adult.tabgan"
        TabGAN(epochs=1, random_state=0, verbose=False).fit(load_adult()).save(model_path)
        out = Path(tmp) / f"synthetic.{args.format}"
        pools = args.pools or [None]
        times = {p: [] for p in pools}
        peaks = {p: [] for p in pools}
        for i in range(args.repeats):
            for pool in pools:  # interleaved: a loaded moment hits every pool alike
                command = [sys.executable, "-m", "tabgan", "sample", str(model_path), "-n",
                           str(args.rows), "-o", str(out), "--seed", str(i), "--quiet"]
                if pool is not None:
                    command += ["--sample-pool", str(pool)]
                start = time.perf_counter()
                subprocess.run(command, check=True)
                times[pool].append(time.perf_counter() - start)
                peaks[pool].append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                                   / 1024)
                size = os.path.getsize(out) / 2**20
                print(f"run {i + 1}{_pool(pool)}: {times[pool][-1]:6.2f} s, {size:.0f} MiB "
                      "written")
        for pool in pools:
            median = statistics.median(times[pool])
            print(f"tabgan sample -n {args.rows:,} to {args.format.upper()}{_pool(pool)}: "
                  f"median {median:.2f} s over {args.repeats} runs "
                  f"({args.rows / median:,.0f} rows/s); peak memory {max(peaks[pool]):.0f} "
                  f"MiB (of the runs so far)")
        if len(pools) > 1:
            base = statistics.median(times[pools[-1]])
            for pool in pools[:-1]:
                print(f"pool {pool} / pool {pools[-1]}: "
                      f"{statistics.median(times[pool]) / base:.2f}x the time")


def _pool(pool) -> str:
    return "" if pool is None else f" (--sample-pool {pool})"


if __name__ == "__main__":
    main()
