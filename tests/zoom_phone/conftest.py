"""Zoom Phone tests: a small world (six months, a few calls a day)."""

from __future__ import annotations

import pytest

from tests.conftest import SANDBOX_START


@pytest.fixture
def sandbox_config():
    """Six months of a small company: ~4 calls a day keeps a full load to a few seconds."""
    from sandbox import SandboxConfig

    return SandboxConfig(seed=7, users=4, calls_per_day=4, days=190, cc_calls_per_day=0,
                         zoho_calls_per_day=0, start=SANDBOX_START)


SMALL = dict(seed=11, users=4, calls_per_day=30, days=6, cc_calls_per_day=0, zoho_calls_per_day=0,
             start=SANDBOX_START)


@pytest.fixture
def small_sandbox(sandbox_factory):
    """Factory: a few days of a busier company (SandboxConfig overrides), env pointing at it."""
    return lambda **overrides: sandbox_factory(**{**SMALL, **overrides})
