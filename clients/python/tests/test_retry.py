"""The SDK surfaces the retry delay of a rate-limit refusal, against a live server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support import unique_username

from backbeat_sdk import BackbeatError, ResourceExhaustedError, UnauthenticatedError, create_client
from backbeat_sdk import retry_delay


@pytest.mark.parametrize("protocol", ["connect", "grpc", "grpc-web"])
def test_repeated_wrong_passwords_give_a_retry_delay(base_url: str, protocol: str) -> None:
    name = unique_username("retry")
    with create_client(base_url, protocol=protocol) as c:  # type: ignore[arg-type]
        c.register(name, f"{name}@example.com", "correct horse battery")
        refused: BackbeatError | None = None
        for _ in range(10):
            try:
                c.login(name, "wrong password")
            except UnauthenticatedError:
                continue
            except ResourceExhaustedError as e:
                refused = e
                break
    assert refused is not None, "no resource_exhausted after 10 wrong passwords"
    delay = retry_delay(refused)
    assert delay is not None
    assert timedelta(0) < delay <= timedelta(minutes=1)


def test_other_errors_have_no_retry_delay(base_url: str) -> None:
    with create_client(base_url) as c:
        with pytest.raises(UnauthenticatedError) as ei:
            c.login("nobody-" + unique_username(), "wrong password")
    assert retry_delay(ei.value) is None
    assert retry_delay(ValueError("plain")) is None
