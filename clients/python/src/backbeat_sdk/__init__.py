"""Backbeat SDK for Python.

A thin layer over the generated connectrpc clients (the ``backbeat`` package:
``backbeat.user.v1``, ``backbeat.catalog.v1``, ``backbeat.playlist.v1``,
``backbeat.playback.v1``) adding what code generation cannot: a client factory,
bearer-token auth with automatic refresh, typed errors and paging helpers.

    from backbeat.catalog.v1.catalog_pb2 import SearchRequest
    from backbeat_sdk import create_client, result_item

    with create_client("http://127.0.0.1:8080") as client:
        client.login("demo", "backbeat-demo")
        res = client.catalog.search(SearchRequest(query="lodz"))
        print(res.top_result)
        for group in res.groups:
            print(group.type, [result_item(r) for r in group.results])
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
from .search import group_results, result_item, search_group

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
    "group_results",
    "pages",
    "paginate",
    "result_item",
    "retry_delay",
    "search_group",
]
