"""Parity of vnstream's indicators with TA-Lib (the Python TA-Lib package).

Runs indicator_dump over real VN30 daily prices, recomputes every TA-Lib
indicator on the same inputs with talib, and requires every value to match
within 1e-9 relative (1e-9 absolute near zero), and to be unset exactly
where TA-Lib returns NaN.

    python talib_parity.py --dump_tool PATH --csv PATH
"""

import argparse
import json
import math
import subprocess
import sys
import tempfile

import numpy as np
import talib

TOLERANCE = 1e-9


def talib_outputs(s):
    o, h, l, c, v = (np.asarray(s[k], dtype=float)
                     for k in ("open", "high", "low", "close", "volume"))
    macd, signal, hist = talib.MACD(c, fastperiod=12, slowperiod=26, signalperiod=9)
    upper, middle, lower = talib.BBANDS(c, timeperiod=20, nbdevup=2, nbdevdn=2, matype=0)
    slowk, slowd = talib.STOCH(h, l, c, fastk_period=14, slowk_period=3, slowk_matype=0,
                               slowd_period=3, slowd_matype=0)
    return {
        "sma_short": talib.SMA(c, 20),
        "sma_medium": talib.SMA(c, 50),
        "sma_long": talib.SMA(c, 200),
        "ema_fast": talib.EMA(c, 12),
        "ema_slow": talib.EMA(c, 26),
        "rsi": talib.RSI(c, 14),
        "macd": macd,
        "macd_signal": signal,
        "macd_hist": hist,
        "bb_upper": upper,
        "bb_middle": middle,
        "bb_lower": lower,
        "atr": talib.ATR(h, l, c, 14),
        "stoch_k": slowk,
        "stoch_d": slowd,
        "obv": talib.OBV(c, v),
        "volume_sma": talib.SMA(v, 20),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dump_tool", required=True)
    parser.add_argument("--csv", required=True)
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([args.dump_tool, f"--csv={args.csv}", f"--out={out.name}"], check=True)
        dump = json.load(open(out.name))

    compared = 0
    worst = 0.0
    failures = []
    for s in dump["series"]:
        for name, expected in talib_outputs(s).items():
            ours = s[name]
            if len(ours) != len(expected):
                failures.append(f"{s['symbol']} {name}: {len(ours)} values, TA-Lib {len(expected)}")
                continue
            for i, (a, b) in enumerate(zip(ours, expected)):
                if math.isnan(b):
                    if a is not None:
                        failures.append(f"{s['symbol']} {name}[{i}]: {a!r}, TA-Lib NaN")
                    continue
                if a is None:
                    failures.append(f"{s['symbol']} {name}[{i}]: unset, TA-Lib {b!r}")
                    continue
                compared += 1
                error = abs(a - b)
                relative = error / abs(b) if b != 0 else error
                worst = max(worst, relative if abs(b) > 1 else error)
                if error > TOLERANCE * max(1.0, abs(b)):
                    failures.append(
                        f"{s['symbol']} {name}[{i}]: {a!r} vs TA-Lib {b!r} (rel {relative:.3g})")
    print(f"TA-Lib {talib.__ta_version__.decode().split()[0]}: {len(dump['series'])} symbols, "
          f"{compared} values compared, max relative error {worst:.3g}, "
          f"{len(failures)} mismatches")
    for f in failures[:30]:
        print("  " + f)
    return 1 if failures or compared == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
