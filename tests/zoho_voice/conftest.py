"""Zoho Voice fixtures (helpers: tests/zoho_voice/support.py)."""

from __future__ import annotations

import pytest

from tests.conftest import SANDBOX_START

ZOHO_ONLY = dict(seed=7, users=2, calls_per_day=0, cc_calls_per_day=0, days=10, zoho_calls_per_day=20,
                 start=SANDBOX_START)


@pytest.fixture
def zoho_sandbox(sandbox_factory):
    """Factory: a sandbox with the given SandboxConfig overrides, the env pointing at it."""
    return lambda **overrides: sandbox_factory(**{**ZOHO_ONLY, **overrides})
