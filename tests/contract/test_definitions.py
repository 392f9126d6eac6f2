"""The definitions the contract tests read are the published ones, and the readers work on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract import spec

SHARED = Path(__file__).resolve().parents[3] / "shared" / "api-reference" / "openapi"


@pytest.mark.parametrize("name", spec.FILES)
def test_copies_equal_the_shared_definitions(name):
    if not (SHARED / name).exists():
        pytest.skip(f"no shared reference beside this checkout ({SHARED})")
    assert (spec.OPENAPI_DIR / name).read_bytes() == (SHARED / name).read_bytes(), (
        f"tests/contract/openapi/{name} differs from {SHARED / name}: copy the published one over")


@pytest.mark.parametrize("path", spec.paths())
def test_published_examples_follow_their_own_definition(path):
    assert spec.errors(path, spec.example(path)) == []


def test_errors_name_the_field_and_the_problem():
    body = spec.example("/phone/call_history/{callHistoryUuid}")
    body["call_elements"][0]["is_node"] = True
    body["call_elements"][0]["result"] = "forwarded"
    body["call_elements"][0]["duration"] = 12
    found = spec.errors("/phone/call_history/{callHistoryUuid}", body)
    assert "$.call_elements[0].is_node: True is not of type 'integer'" in found
    assert any(e.startswith("$.call_elements[0].result: 'forwarded' is not one of") for e in found)
    assert "$.call_elements[0].duration: not in the definition" in found
