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


@pytest.fixture
def small_sandbox(monkeypatch):
    """Factory: a few days of a busier company (SandboxConfig overrides), env pointing at it."""
    from sandbox import Sandbox, SandboxConfig

    opened = []

    def make(**overrides):
        values = dict(seed=11, users=4, calls_per_day=30, days=6, cc_calls_per_day=0,
                      zoho_calls_per_day=0, start=SANDBOX_START)
        values.update(overrides)
        sb = Sandbox(SandboxConfig(**values)).start()
        opened.append(sb)
        for key, value in sb.env().items():
            monkeypatch.setenv(key, value)
        return sb

    yield make
    for sb in opened:
        sb.stop()
