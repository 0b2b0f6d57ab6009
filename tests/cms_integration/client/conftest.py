"""Make the client package importable from its source folder.

``cogvideo_client`` is its own distribution (cms_integration/client/pyproject.toml);
the tests use the source tree directly so they never run against a stale install.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CLIENT_SRC = REPO / "cms_integration" / "client"
STATIC_DIR = REPO / "cms_integration" / "static" / "cms_integration"

if str(CLIENT_SRC) not in sys.path:
    sys.path.insert(0, str(CLIENT_SRC))
