from __future__ import annotations

import pytest

from tests.zoom_contact_center.support import zoom_client


@pytest.fixture
def client(sandbox):
    """A Zoom client on the sandbox, sharing its clock."""
    c = zoom_client(sandbox)
    yield c
    c.close()
