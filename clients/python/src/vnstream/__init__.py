"""Python client of the vnstream gateway (gRPC).

    import vnstream
    client = vnstream.connect("127.0.0.1:50051")          # or ConnectionOptions
    for event in vnstream.subscribe(client, "quotes", ["FPT", "VCB"]):
        ...                                                # resumes after disconnects

    from vnstream.vnstock import Quote                     # vnstock-compatible
    Quote("FPT").history(start="2024-01-01", end="2024-06-30", interval="1D")

The protobuf/gRPC stubs are vnstream.v1 (market_data_pb2,
market_data_service_pb2, market_data_service_pb2_grpc), generated from
proto/ when the package is built.
"""

from vnstream.client import (AsyncClient, Client, ConnectionOptions, connect,
                             connect_async)
from vnstream.frames import to_decimal
from vnstream.streams import (AsyncSubscription, Gap, Subscription, event_meta,
                              subscribe, subscribe_async)

__all__ = [
    "AsyncClient", "AsyncSubscription", "Client", "ConnectionOptions", "Gap",
    "Subscription", "connect", "connect_async", "event_meta", "subscribe",
    "subscribe_async", "to_decimal",
]
