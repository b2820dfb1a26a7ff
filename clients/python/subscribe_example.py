"""Prints live quotes from the gateway, resuming after disconnects.

    ~/.cache/vnstream/venv/bin/python clients/python/subscribe_example.py FPT VCB
"""

import argparse
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])

from vnstream_client import connect, decimal, subscribe  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("symbols", nargs="+")
    parser.add_argument("--target", default="127.0.0.1:50051")
    args = parser.parse_args()
    stub = connect(args.target)
    for event in subscribe(stub, "quotes", args.symbols):
        if event.WhichOneof("payload") == "quote":
            q = event.quote
            print(f"{q.meta.symbol:6} #{q.meta.seq:<6} {decimal(q.last_price):>10} VND "
                  f"{decimal(q.percent_change):+.2f}%  vol {q.total_volume:>12,}  "
                  f"{'Kafka' if event.delivery == 1 else 'VNStock'}", flush=True)


if __name__ == "__main__":
    main()
