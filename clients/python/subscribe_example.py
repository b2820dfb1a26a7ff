"""Prints live quotes from the gateway, resuming after disconnects.

    ~/.cache/vnstream/venv/bin/python clients/python/subscribe_example.py \
        --ca_file=.run/certs/ca.pem --api_key_file=.run/demo.key FPT VCB
"""

import argparse
import os
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])

from vnstream_client import connect, decimal, subscribe  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("symbols", nargs="+")
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--ca_file", help="PEM of the gateway's CA (demo: .run/certs/ca.pem)")
    parser.add_argument("--cert_file", help="mutual TLS: this client's certificate (PEM)")
    parser.add_argument("--key_file", help="mutual TLS: its private key (PEM)")
    parser.add_argument("--api_key_file", help="file holding the API key (demo: .run/demo.key); "
                        "else the environment variable VNSTREAM_API_KEY")
    parser.add_argument("--plaintext", action="store_true",
                        help="no TLS (a gateway run with insecure_plaintext only)")
    args = parser.parse_args()
    api_key = (open(args.api_key_file).read().strip() if args.api_key_file
               else os.environ.get("VNSTREAM_API_KEY"))
    stub = connect(args.target, ca_file=args.ca_file, cert_file=args.cert_file,
                   key_file=args.key_file, api_key=api_key, plaintext=args.plaintext)
    for event in subscribe(stub, "quotes", args.symbols):
        if event.WhichOneof("payload") == "quote":
            q = event.quote
            print(f"{q.meta.symbol:6} #{q.meta.seq:<6} {decimal(q.last_price):>10} VND "
                  f"{decimal(q.percent_change):+.2f}%  vol {q.total_volume:>12,}  "
                  f"{'Kafka' if event.delivery == 1 else 'VNStock'}", flush=True)


if __name__ == "__main__":
    main()
