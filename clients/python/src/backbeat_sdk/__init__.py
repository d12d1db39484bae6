"""Backbeat SDK for Python.

A thin layer over the generated connectrpc clients (the ``backbeat`` package:
``backbeat.user.v1``, ``backbeat.catalog.v1``, ``backbeat.playlist.v1``,
``backbeat.playback.v1``) adding what code generation cannot: a client factory,
bearer-token auth with automatic refresh, typed errors and paging helpers.

    from backbeat.catalog.v1.catalog_pb2 import SearchRequest
    from backbeat_sdk import create_client

    with create_client("http://127.0.0.1:8080") as client:
        client.login("demo", "backbeat-demo")
        for result in client.catalog.search(SearchRequest(query="lodz")).results:
            print(result)
"""

from .auth import TokenPair, TokenStore
from .client import AsyncBackbeat, Backbeat, WireProtocol, create_async_client, create_client
from .errors import (
    AbortedError,
    AlreadyExistsError,
    BackbeatError,
    CanceledError,
    DataLossError,
    DeadlineExceededError,
    FailedPreconditionError,
    FieldViolation,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    OutOfRangeError,
    PermissionDeniedError,
    ResourceExhaustedError,
    UnauthenticatedError,
    UnavailableError,
    UnimplementedError,
    UnknownError,
)
from .paging import apages, apaginate, pages, paginate
from .retry import retry_delay

__version__ = "0.1.0"

__all__ = [
    "AbortedError",
    "AlreadyExistsError",
    "AsyncBackbeat",
    "Backbeat",
    "BackbeatError",
    "CanceledError",
    "DataLossError",
    "DeadlineExceededError",
    "FailedPreconditionError",
    "FieldViolation",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "OutOfRangeError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "TokenPair",
    "TokenStore",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "UnknownError",
    "WireProtocol",
    "__version__",
    "apages",
    "apaginate",
    "create_async_client",
    "create_client",
    "pages",
    "paginate",
    "retry_delay",
]
