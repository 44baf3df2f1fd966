"""Standard gRPC health checking and server reflection, so grpcurl and other languages need only the wire."""

from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.server.conftest import Exchange


async def test_health_reports_every_service_serving(exchange: Exchange) -> None:
    stub = health_pb2_grpc.HealthStub(exchange.channel)
    for service in ("", "paperex.v1.Trading", "paperex.v1.MarketData", "paperex.v1.Account", "paperex.v1.Admin"):
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=service))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, service


async def test_reflection_lists_the_services_and_serves_their_descriptors(exchange: Exchange) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(exchange.channel)
    requests = [
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="paperex.v1.Trading"),
    ]
    replies = [reply async for reply in stub.ServerReflectionInfo(iter(requests))]
    listed = {service.name for service in replies[0].list_services_response.service}
    assert {"paperex.v1.Trading", "paperex.v1.MarketData", "paperex.v1.Account", "paperex.v1.Admin"} <= listed
    assert "grpc.health.v1.Health" in listed
    files = replies[1].file_descriptor_response.file_descriptor_proto
    assert files, "no descriptor for paperex.v1.Trading"
