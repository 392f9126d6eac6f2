"""The sources the CLI knows: module, API client builder, look-back limit."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from pipelines.warehouse import SOURCE_NAMES


@dataclass(frozen=True)
class SourceSpec:
    name: str  # dlt source name = default dataset name
    provider: str  # "zoom" or "zoho": which client builder and credentials
    lookback_months: int | None  # the API serves at most this far back (None: no limit)
    title: str

    def function(self) -> Any:
        """The @dlt.source function (imported lazily: a broken source never stops the others)."""
        module = importlib.import_module(f"sources.{self.name}")
        return getattr(module, self.name)

    def build_client(self, clock: Any = None, account: str | None = None, **overrides: Any) -> Any:
        """The API client of `account` (None: the default one, [sources.<provider>])."""
        from sources.common import config

        builder = config.build_zoom_client if self.provider == "zoom" else config.build_zoho_client
        return builder(clock, account, **overrides)

    def resource_names(self) -> tuple[str, ...] | None:
        try:
            settings = importlib.import_module(f"sources.{self.name}.settings")
        except ImportError:
            return None
        for attr in ("ALL_RESOURCES", "DEFAULT_RESOURCES", "RESOURCES"):
            names = getattr(settings, attr, None)
            if names:
                aliases = {**(getattr(settings, "RESOURCE_ALIASES", None) or {}), **(getattr(settings, "TABLE_ALIASES", None) or {})}
                return tuple(names) + tuple(aliases)
        return None


SOURCES: dict[str, SourceSpec] = {
    "zoom_phone": SourceSpec("zoom_phone", "zoom", 6, "Zoom Phone"),
    "zoom_contact_center": SourceSpec("zoom_contact_center", "zoom", 6, "Zoom Contact Center"),
    "zoho_voice": SourceSpec("zoho_voice", "zoho", None, "Zoho Voice"),
}
assert tuple(SOURCES) == SOURCE_NAMES
