"""Standard gRPC health checking and server reflection, so grpcurl and other languages need only the wire."""

import grpc
import pytest
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2

from tests.server.conftest import Exchange

PAPEREX_SERVICES = {"paperex.v1.Trading", "paperex.v1.MarketData", "paperex.v1.Account", "paperex.v1.Admin"}
REFLECTION_SERVICES = {"grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"}

Request = reflection_pb2.ServerReflectionRequest
Response = reflection_pb2.ServerReflectionResponse


async def test_health_reports_every_service_serving(exchange: Exchange) -> None:
    stub = health_pb2_grpc.HealthStub(exchange.channel)
    for service in ("", *sorted(PAPEREX_SERVICES)):
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=service))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, service


async def reflect(exchange: Exchange, service: str, requests: list[Request]) -> list[Response]:
    """One reflection stream on ``service``. The published grpc.reflection.v1 messages are v1alpha's
    field for field (only the package differs), so v1alpha's classes encode and decode both."""
    call = exchange.channel.stream_stream(
        f"/{service}/ServerReflectionInfo",
        request_serializer=Request.SerializeToString,
        response_deserializer=Response.FromString,
    )
    return [reply async for reply in call(iter(requests))]


@pytest.mark.parametrize("service", sorted(REFLECTION_SERVICES))
async def test_both_reflection_versions_list_the_services_and_describe_each(exchange: Exchange, service: str) -> None:
    """What ``grpcurl list`` and ``grpcurl describe`` ask: the names, then the file declaring each one."""
    (listing,) = await reflect(exchange, service, [Request(list_services="")])
    listed = {entry.name for entry in listing.list_services_response.service}
    assert listed == PAPEREX_SERVICES | REFLECTION_SERVICES | {"grpc.health.v1.Health"}

    replies = await reflect(exchange, service, [Request(file_containing_symbol=name) for name in sorted(listed)])
    for name, reply in zip(sorted(listed), replies, strict=True):
        raw_files = reply.file_descriptor_response.file_descriptor_proto
        files = [descriptor_pb2.FileDescriptorProto.FromString(raw) for raw in raw_files]
        declared = {f"{file.package}.{declared.name}" for file in files for declared in file.service}
        assert name in declared, (name, reply.error_response.error_message)


async def test_the_v1_reflection_service_describes_itself_in_its_own_package(exchange: Exchange) -> None:
    """The file grpcurl receives for grpc.reflection.v1 is the published v1 file's: its name, package,
    and a method whose request and response types are in that package."""
    (reply,) = await reflect(
        exchange,
        "grpc.reflection.v1.ServerReflection",
        [Request(file_containing_symbol="grpc.reflection.v1.ServerReflection")],
    )
    files = {
        file.name: file
        for file in map(
            descriptor_pb2.FileDescriptorProto.FromString, reply.file_descriptor_response.file_descriptor_proto
        )
    }
    v1 = files["grpc/reflection/v1/reflection.proto"]
    (method,) = v1.service[0].method
    assert (v1.package, method.name, method.input_type, method.output_type) == (
        "grpc.reflection.v1",
        "ServerReflectionInfo",
        ".grpc.reflection.v1.ServerReflectionRequest",
        ".grpc.reflection.v1.ServerReflectionResponse",
    )
    assert method.client_streaming and method.server_streaming
    assert v1.options.go_package == "google.golang.org/grpc/reflection/grpc_reflection_v1"


async def test_an_unknown_reflection_method_is_unimplemented(exchange: Exchange) -> None:
    """Only ServerReflectionInfo exists in v1, as in the published service."""
    call = exchange.channel.unary_unary("/grpc.reflection.v1.ServerReflection/Other")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(b"")
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
