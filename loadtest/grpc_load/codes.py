"""The code a failure is counted under: gRPC status plus the paperex reason, so reports say why."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2

from paperex.v1 import errors_pb2


def error_code(error: grpc.aio.AioRpcError) -> str:
    """``STATUS`` or ``STATUS/REASON`` from the google.rpc.Status details of a failed call."""
    code = error.code().name
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            for detail in status_pb2.Status.FromString(value).details:
                if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    return f"{code}/{info.reason}"
    return code


def rejection_code(rejection: errors_pb2.Rejection) -> str:
    """``REJECTED/REASON`` for a command an OrderSession answer refused."""
    return "REJECTED/" + errors_pb2.RejectReason.Name(rejection.reason).removeprefix("REJECT_REASON_")
