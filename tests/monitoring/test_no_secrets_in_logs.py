"""No secret in any log line the live services wrote during the test session.

Runs last (see conftest.py), after every other test folder, so it reads the logs of every
live service the session started: the shared one, the monitoring one and any other under the
session folder. The secrets: every API token, password hash and webhook secret those services
hold, their Django secret keys, and the secrets tests created outside a database.
"""

from __future__ import annotations

import httpx
import pytest

from tests.monitoring.conftest import CREATED_SECRETS
from tests.monitoring.secrets_scan import find_leaks, secret_key_files, service_secrets, sqlite_secrets

pytestmark = pytest.mark.live


def test_the_scanner_finds_a_planted_secret(tmp_path):
    log = tmp_path / "web.log"
    log.write_text('{"message": "fine"}\n{"message": "Authorization: Bearer 0123456789abcdef"}\n')
    assert find_leaks([log], {"0123456789abcdef"}) == [f"{log}:2: contains a secret starting 0123…"]
    assert find_leaks([log], {"something-else"}) == []


@pytest.mark.after_all_live_tests
def test_no_secret_in_any_live_service_log(live, live_tokens, session_dir):
    # Give the logs every chance to leak: tokens in headers, a wrong token, a token in a query.
    with live.client(live_tokens["owner"]) as client:
        assert client.get("/api/tasks?token=" + live_tokens["owner"]).status_code in {200, 404}
        client.get("/api/status/00000000-0000-0000-0000-000000000000")
    httpx.get(f"{live.url}/api/system/status", headers={"Authorization": f"Token {live_tokens['stranger']}"})
    httpx.get(f"{live.url}/api/system/status", headers={"Authorization": "Bearer " + "f" * 40})

    found = set(CREATED_SECRETS) | set(live_tokens.values()) | set(service_secrets(live)) | {"f" * 40}
    found |= set(secret_key_files(session_dir))
    for database in session_dir.glob("**/cogvideo.sqlite3"):
        found |= set(sqlite_secrets(database))
    logs = sorted(session_dir.glob("**/logs/*.log"))
    assert logs and live.logs / "web.log" in logs
    assert sum(path.stat().st_size for path in logs) > 0
    assert len(found) >= 4 and all(live_tokens[name] in found for name in ("owner", "stranger", "staff"))
    assert find_leaks(logs, found) == []
