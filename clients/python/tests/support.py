"""Helpers shared by the tests."""

from __future__ import annotations

import uuid

DEMO_PASSWORD = "backbeat-demo"


def unique_username(prefix: str = "py") -> str:
    """A username no other test run has registered."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
