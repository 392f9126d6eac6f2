"""Local stand-in for the Zoom Phone, Zoom Contact Center and Zoho Voice APIs.

    from sandbox import Sandbox, SandboxConfig
    with Sandbox(SandboxConfig(seed=7, start="2026-11-20T12:00:00Z")) as sb:
        ...  # sb.zoom_base_url, sb.env(), sb.truth.call_logs(), sb.clock.advance(days=1)

See sandbox/README.md and docs/ARCHITECTURE.md ("Sandbox").
"""

from .clock import SimClock
from .config import SandboxConfig
from .core import FAULT_KINDS, Sandbox

__all__ = ["Sandbox", "SandboxConfig", "SimClock", "FAULT_KINDS"]
