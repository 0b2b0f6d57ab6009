"""Fixtures for the command tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def stopped_cluster(live):
    """The live service with its workers stopped (jobs stay queued); the test must cancel
    what it queued. The cluster is started again afterwards, whatever happens."""
    live.stop_cluster()
    try:
        yield live
    finally:
        if live.cluster is None or live.cluster.poll() is not None:
            live.start_cluster()
