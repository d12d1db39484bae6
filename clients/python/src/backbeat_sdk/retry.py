"""The retry delay of a refusal by Backbeat's rate limits or load shedding.

A budget spent is ``resource_exhausted`` (:class:`ResourceExhaustedError`),
a busy server ``unavailable`` (:class:`UnavailableError`); both carry a
``google.rpc.RetryInfo`` detail saying when to try again::

    try:
        client.login(name, password)
    except ResourceExhaustedError as e:
        time.sleep(retry_delay(e).total_seconds())
"""

from __future__ import annotations

from datetime import timedelta

from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2

__all__ = ["retry_delay"]

_RETRY_INFO = error_details_pb2.RetryInfo.DESCRIPTOR.full_name


def retry_delay(err: BaseException) -> timedelta | None:
    """The delay a resource_exhausted or unavailable error asks to wait before
    trying again, from its RetryInfo detail; None for any other error or one
    without the detail."""
    if not isinstance(err, ConnectError) or err.code not in (Code.RESOURCE_EXHAUSTED, Code.UNAVAILABLE):
        return None
    for d in err.details:
        if d.type_name != _RETRY_INFO:
            continue
        try:
            info = error_details_pb2.RetryInfo.FromString(d.message_bytes)
        except DecodeError:
            continue
        if info.HasField("retry_delay"):
            return info.retry_delay.ToTimedelta()
    return None
