"""Analyst views over the raw tables (issue 9). Placeholder until the views land."""

from __future__ import annotations


def refresh_views(warehouse) -> list[str]:
    """(Re)create the analytics views in `warehouse`; returns the names of the views made."""
    return []
