"""The v1 API's protobuf and gRPC stubs, generated from proto/vnstream/v1 when
the package is built (market_data_pb2, market_data_service_pb2,
market_data_service_pb2_grpc, with .pyi type stubs)."""
