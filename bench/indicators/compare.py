"""Times the full indicator set on 1,600 symbols x 2,000 daily bars three ways
on the same data and machine: vnstream's C++ (indicators_bench), TA-Lib (the
Python package, C inside), and the seed's pandas code (its
calculate_technical_indicators, reproduced below). Prints a table of times and
ratios, then one line with the full recompute's speed against TA-Lib.

The machine is shared and noisy, so vnstream and TA-Lib are timed in turns
(one full recompute each per repetition, in the same run) and the medians are
compared, both CPU time (the headline: what the work costs, unaffected by
other processes holding the core) and wall time.

    bazel build -c opt //bench/indicators:indicators_bench
    ~/.cache/vnstream/venv/bin/python bench/indicators/compare.py \
        --bench "$(bazel info -c opt bazel-bin)/bench/indicators/indicators_bench"
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np
import pandas as pd
import talib

SYMBOLS, BARS = 1600, 2000


def seed_indicators(df):
    """The seed's calculate_technical_indicators (pandas defaults)."""
    df["SMA_20"] = df["Close"].rolling(window=20).mean()
    df["SMA_50"] = df["Close"].rolling(window=50).mean()
    df["SMA_200"] = df["Close"].rolling(window=200).mean()
    df["EMA_12"] = df["Close"].ewm(span=12).mean()
    df["EMA_26"] = df["Close"].ewm(span=26).mean()
    df["MACD"] = df["EMA_12"] - df["EMA_26"]
    df["MACD_signal"] = df["MACD"].ewm(span=9).mean()
    df["MACD_histogram"] = df["MACD"] - df["MACD_signal"]
    delta = df["Close"].diff()
    gain = delta.where(delta > 0, 0).rolling(window=14).mean()
    loss = (-delta.where(delta < 0, 0)).rolling(window=14).mean()
    df["RSI"] = 100 - (100 / (1 + gain / loss))
    df["BB_middle"] = df["Close"].rolling(window=20).mean()
    std = df["Close"].rolling(window=20).std()
    df["BB_upper"] = df["BB_middle"] + 2 * std
    df["BB_lower"] = df["BB_middle"] - 2 * std
    df["Volume_SMA"] = df["Volume"].rolling(window=20).mean()
    df["Volume_ratio"] = df["Volume"] / df["Volume_SMA"]
    high_low = df["High"] - df["Low"]
    high_close = np.abs(df["High"] - df["Close"].shift())
    low_close = np.abs(df["Low"] - df["Close"].shift())
    true_range = pd.concat([high_low, high_close, low_close], axis=1).max(axis=1)
    df["ATR"] = true_range.rolling(14).mean()
    low_14 = df["Low"].rolling(window=14).min()
    high_14 = df["High"].rolling(window=14).max()
    df["Stoch_K"] = 100 * (df["Close"] - low_14) / (high_14 - low_14)
    df["Stoch_D"] = df["Stoch_K"].rolling(window=3).mean()
    df["Daily_Returns"] = df["Close"].pct_change()
    df["Cumulative_Returns"] = (1 + df["Daily_Returns"]).cumprod() - 1
    return df


def talib_indicators(o, h, l, c, v):
    talib.SMA(c, 20), talib.SMA(c, 50), talib.SMA(c, 200)
    talib.EMA(c, 12), talib.EMA(c, 26)
    talib.RSI(c, 14)
    talib.MACD(c, 12, 26, 9)
    talib.BBANDS(c, 20, 2, 2, 0)
    talib.ATR(h, l, c, 14)
    talib.STOCH(h, l, c, 14, 3, 0, 3, 0)
    talib.OBV(c, v)
    talib.SMA(v, 20)


def timed(fn):
    """(wall, CPU) seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def run_bench(args, *flags):
    """indicators_bench's JSON benchmarks, by name."""
    out = subprocess.run([args.bench, f"--csv={args.csv}", "--benchmark_format=json", *flags],
                         check=True, capture_output=True, text=True).stdout
    return {b["name"]: b for b in json.loads(out)["benchmarks"]}


def seconds(b, key):
    return b[key] * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]


def find(results, prefix, suffix=""):
    # Names carry suffixes such as "/process_time" and "_median".
    return next(v for k, v in results.items() if k.startswith(prefix) and k.endswith(suffix))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", required=True, help="indicators_bench binary (opt build)")
    parser.add_argument("--csv", default="data/vn30/vn30-daily-2016-2019.csv")
    parser.add_argument("--repetitions", type=int, default=7,
                        help="full recomputes of each implementation, in turns")
    parser.add_argument("--no_pandas", action="store_true",
                        help="skip the seed's pandas code (~25 s)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "dataset.f64")
        subprocess.run([args.bench, f"--csv={args.csv}", f"--dump_dataset={path}"], check=True)
        data = np.fromfile(path, dtype=np.float64).reshape(SYMBOLS, BARS, 5)
    series = [np.ascontiguousarray(data[k]) for k in range(SYMBOLS)]
    columns = [(s[:, 0].copy(), s[:, 1].copy(), s[:, 2].copy(), s[:, 3].copy(), s[:, 4].copy())
               for s in series]

    # In turns: one C++ full recompute (its own process; Google Benchmark
    # averages the iterations it runs), then one TA-Lib pass.
    cpp_wall, cpp_cpu, talib_wall, talib_cpu = [], [], [], []
    for _ in range(args.repetitions):
        b = find(run_bench(args, "--benchmark_filter=^BM_FullRecompute"), "BM_FullRecompute")
        cpp_wall.append(seconds(b, "real_time"))
        cpp_cpu.append(seconds(b, "cpu_time"))  # Process CPU time (MeasureProcessCPUTime).
        wall, cpu = timed(lambda: [talib_indicators(*c) for c in columns])
        talib_wall.append(wall)
        talib_cpu.append(cpu)
    cpp_full, talib_full = statistics.median(cpp_wall), statistics.median(talib_wall)
    cpp_full_cpu, talib_full_cpu = statistics.median(cpp_cpu), statistics.median(talib_cpu)

    results = run_bench(args, "--benchmark_filter=BM_IncrementalUpdate|BM_EnrichHistory",
                        "--benchmark_repetitions=3", "--benchmark_report_aggregates_only=true")
    cpp_incremental = seconds(find(results, "BM_IncrementalUpdate", "_median"), "real_time")
    cpp_enrich = seconds(find(results, "BM_EnrichHistory", "_median"), "real_time")

    pandas_full = None
    if not args.no_pandas:
        frames = [pd.DataFrame(s, columns=["Open", "High", "Low", "Close", "Volume"])
                  for s in series]
        pandas_full, _ = timed(lambda: [seed_indicators(f.copy()) for f in frames])
    talib_one = talib_full / SYMBOLS

    bars = SYMBOLS * BARS
    print(f"Full indicator set, {SYMBOLS} symbols x {BARS} daily bars "
          f"({bars / 1e6:.1f} M bars), one core, median of {args.repetitions}:")
    print(f"  {'implementation':28} {'wall':>10} {'CPU':>10} {'Mbars/s':>9} {'vs C++':>8}")
    rows = [("vnstream C++", cpp_full, cpp_full_cpu),
            ("TA-Lib (Python package)", talib_full, talib_full_cpu)]
    if pandas_full is not None:
        rows.append(("seed pandas (one run)", pandas_full, None))
    for name, t, cpu in rows:
        cpu_text = f"{cpu:9.3f}s" if cpu is not None else f"{'':10}"
        print(f"  {name:28} {t:9.3f}s {cpu_text} {bars / t / 1e6:9.2f} {t / cpp_full:7.1f}x")
    print("One new bar for one symbol:")
    print(f"  {'vnstream C++ incremental':28} {cpp_incremental * 1e9:8.0f} ns")
    print(f"  {'TA-Lib, recompute 2000 bars':28} {talib_one * 1e6:8.1f} us "
          f"({talib_one / cpp_incremental:,.0f}x)")
    if pandas_full is not None:
        pandas_one = pandas_full / SYMBOLS
        print(f"  {'seed pandas, recompute':28} {pandas_one * 1e3:8.2f} ms "
              f"({pandas_one / cpp_incremental:,.0f}x)")
    print(f"Analytics' unit (Enrich, 260-bar DailyHistory proto): {cpp_enrich * 1e6:.1f} us")
    # The goal (>= 1x, aim 1.5x), as one line: TA-Lib's time over
    # vnstream's, so above 1 means vnstream is faster.
    print(f"Full recompute vs TA-Lib, same run, median of {args.repetitions}: "
          f"{talib_full_cpu / cpp_full_cpu:.2f}x CPU "
          f"(vnstream {cpp_full_cpu:.3f} s, TA-Lib {talib_full_cpu:.3f} s), "
          f"{talib_full / cpp_full:.2f}x wall "
          f"(vnstream {cpp_full:.3f} s, TA-Lib {talib_full:.3f} s)")
    # The same, for scripts/perf.sh's table (bench/support/goals.h).
    speed = talib_full_cpu / cpp_full_cpu
    print(f"GOAL\tfull indicator recompute, speed vs TA-Lib (CPU)\t{speed:.2f}x"
          f"\t>= 1.00x (aim 1.5x)\t{'yes' if speed >= 1 else 'NO'}")

if __name__ == "__main__":
    main()
