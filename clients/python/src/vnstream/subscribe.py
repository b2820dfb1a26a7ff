"""Prints live quotes from the gateway, resuming after disconnects.

    vnstream-subscribe FPT VCB                 # installed with the package
    python -m vnstream.subscribe --target 127.0.0.1:50051 FPT VCB
"""

from __future__ import annotations

import argparse

from vnstream.client import ConnectionOptions, connect
from vnstream.frames import to_decimal
from vnstream.streams import subscribe
from vnstream.v1 import market_data_service_pb2 as pb


def main() -> None:
    env = ConnectionOptions.from_env()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("symbols", nargs="+")
    parser.add_argument("--target", default=env.target)
    parser.add_argument("--root_ca", default=env.root_ca, help="TLS with these roots (PEM)")
    parser.add_argument("--tls", action="store_true", default=env.tls,
                        help="TLS with the system's roots")
    args = parser.parse_args()
    client = connect(args.target, tls=args.tls, root_ca=args.root_ca, api_key=env.api_key)
    subscription = subscribe(client, "quotes", args.symbols,
                             on_gap=lambda gap: print(f"gap: {gap}", flush=True))
    try:
        for event in subscription:
            if event.WhichOneof("payload") == "quote":
                q = event.quote
                source = "Kafka" if event.delivery == pb.DELIVERY_KAFKA else "VNStock"
                print(f"{q.meta.symbol:6} #{q.meta.seq:<6} {to_decimal(q.last_price):>10} VND "
                      f"{to_decimal(q.percent_change):+.2f}%  vol {q.total_volume:>12,}  "
                      f"{source}", flush=True)
            elif event.WhichOneof("payload") == "status":
                print(f"{event.status.symbol or '*':6} {pb.SymbolState.Name(event.status.state)}"
                      f" {event.status.message}", flush=True)
    except KeyboardInterrupt:
        subscription.close()


if __name__ == "__main__":
    main()
