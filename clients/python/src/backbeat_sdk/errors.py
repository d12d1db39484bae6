"""Typed errors: one exception class per Connect/gRPC code.

Every call made through a :class:`~backbeat_sdk.Backbeat` client raises a
:class:`BackbeatError` (a subclass of connectrpc's ``ConnectError``, so code
that catches that keeps working) when the server answers with an error. The
concrete class says what happened::

    try:
        client.playlists.get_playlist(GetPlaylistRequest(playlist_id=pid))
    except NotFoundError:
        ...
    except InvalidArgumentError as e:
        highlight(e.field, e.message)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectrpc.errors import ErrorDetail

__all__ = [
    "AbortedError",
    "AlreadyExistsError",
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
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "UnknownError",
]

# gRPC's numeric status codes, in Code's declaration order.
_GRPC_CODES = {
    Code.CANCELED: 1,
    Code.UNKNOWN: 2,
    Code.INVALID_ARGUMENT: 3,
    Code.DEADLINE_EXCEEDED: 4,
    Code.NOT_FOUND: 5,
    Code.ALREADY_EXISTS: 6,
    Code.PERMISSION_DENIED: 7,
    Code.RESOURCE_EXHAUSTED: 8,
    Code.FAILED_PRECONDITION: 9,
    Code.ABORTED: 10,
    Code.OUT_OF_RANGE: 11,
    Code.UNIMPLEMENTED: 12,
    Code.INTERNAL: 13,
    Code.UNAVAILABLE: 14,
    Code.DATA_LOSS: 15,
    Code.UNAUTHENTICATED: 16,
}

_BAD_REQUEST = error_details_pb2.BadRequest.DESCRIPTOR.full_name

# The server words field errors "<field>: <what is wrong>", the field being a
# proto field path such as "username" or "playlist.name".
_FIELD_PREFIX = re.compile(r"^([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*|\[\d+\])*): ")


@dataclass(frozen=True)
class FieldViolation:
    """One bad field of a request, from a ``google.rpc.BadRequest`` detail."""

    field: str
    description: str


class BackbeatError(ConnectError):
    """An error answered by Backbeat (or raised by the transport).

    Attributes:
        code: the connectrpc ``Code`` (``code.value`` is the Connect name,
            e.g. ``"invalid_argument"``; :attr:`grpc_code` the gRPC number).
        message: the server's message, e.g. ``"username: is required"``.
        field: the request field the error is about, or None: taken from the
            ``google.rpc.BadRequest`` detail, else from the message's
            ``"<field>: "`` prefix.
        violations: every field violation of the BadRequest detail.
        details: the raw error details (connectrpc ``ErrorDetail``).

    """

    def __init__(
        self,
        code: Code,
        message: str,
        details: Sequence[ErrorDetail] = (),
    ) -> None:
        super().__init__(code, message, details)
        self.violations: tuple[FieldViolation, ...] = _violations(self.details)
        self.field: str | None = (
            self.violations[0].field if self.violations else _field_from_message(message)
        )

    @property
    def grpc_code(self) -> int:
        """The gRPC status code number (e.g. 3 for invalid_argument)."""
        return _GRPC_CODES.get(self.code, 2)

    @classmethod
    def from_connect_error(cls, err: ConnectError) -> BackbeatError:
        """The typed error for ``err`` (itself if already typed)."""
        if isinstance(err, BackbeatError):
            return err
        typed = _BY_CODE.get(err.code, BackbeatError)
        return typed(err.code, err.message, err.details)

    def __str__(self) -> str:
        return f"{self.code.value}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code.value!r}, "
            f"message={self.message!r}, field={self.field!r})"
        )


def _violations(details: Sequence[ErrorDetail]) -> tuple[FieldViolation, ...]:
    out: list[FieldViolation] = []
    for d in details:
        if d.type_name != _BAD_REQUEST:
            continue
        try:
            br = error_details_pb2.BadRequest.FromString(d.message_bytes)
        except DecodeError:
            continue
        out.extend(FieldViolation(v.field, v.description) for v in br.field_violations)
    return tuple(out)


def _field_from_message(message: str) -> str | None:
    m = _FIELD_PREFIX.match(message)
    return m.group(1) if m else None


class CanceledError(BackbeatError):
    """The call was canceled, usually by the caller."""


class UnknownError(BackbeatError):
    """An error of unknown origin."""


class InvalidArgumentError(BackbeatError):
    """The request is invalid; :attr:`field` names the bad field."""


class DeadlineExceededError(BackbeatError):
    """The call's timeout expired."""


class NotFoundError(BackbeatError):
    """The resource does not exist, or is private and not the caller's."""


class AlreadyExistsError(BackbeatError):
    """The resource (e.g. a username) already exists."""


class PermissionDeniedError(BackbeatError):
    """The caller is signed in but may not do this."""


class ResourceExhaustedError(BackbeatError):
    """A limit was reached."""


class FailedPreconditionError(BackbeatError):
    """The system is not in a state that allows the call."""


class AbortedError(BackbeatError):
    """The call was aborted, e.g. by a concurrent change."""


class OutOfRangeError(BackbeatError):
    """A value is past the valid range."""


class UnimplementedError(BackbeatError):
    """The server does not implement this procedure."""


class InternalError(BackbeatError):
    """The server failed unexpectedly."""


class UnavailableError(BackbeatError):
    """The server is unreachable or overloaded; retrying later may work."""


class DataLossError(BackbeatError):
    """Unrecoverable data loss."""


class UnauthenticatedError(BackbeatError):
    """No valid access token, even after one refresh, or bad credentials."""


_BY_CODE: dict[Code, type[BackbeatError]] = {
    Code.CANCELED: CanceledError,
    Code.UNKNOWN: UnknownError,
    Code.INVALID_ARGUMENT: InvalidArgumentError,
    Code.DEADLINE_EXCEEDED: DeadlineExceededError,
    Code.NOT_FOUND: NotFoundError,
    Code.ALREADY_EXISTS: AlreadyExistsError,
    Code.PERMISSION_DENIED: PermissionDeniedError,
    Code.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    Code.FAILED_PRECONDITION: FailedPreconditionError,
    Code.ABORTED: AbortedError,
    Code.OUT_OF_RANGE: OutOfRangeError,
    Code.UNIMPLEMENTED: UnimplementedError,
    Code.INTERNAL: InternalError,
    Code.UNAVAILABLE: UnavailableError,
    Code.DATA_LOSS: DataLossError,
    Code.UNAUTHENTICATED: UnauthenticatedError,
}
