"""Finding secrets in log files: what the services hold, and where it leaked."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

MIN_LENGTH = 8

# Printed by `manage.py shell -c` inside a live service: every secret its database holds.
SECRETS_SCRIPT = """
import json
from django.apps import apps
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from videos.models import ApiToken
found = list(Token.objects.values_list("key", flat=True))  # none since migration 0010
found += list(ApiToken.objects.values_list("digest", flat=True))
found += [p for p in get_user_model().objects.values_list("password", flat=True) if p]
try:
    found += list(apps.get_model("cms_integration", "CmsSite").objects.values_list("secret", flat=True))
except LookupError:
    pass
print("SECRETS " + json.dumps(found))
"""


def service_secrets(service) -> list[str]:
    """The secrets a running LiveService holds (works on SQLite and PostgreSQL)."""
    out = service.manage("shell", "-c", SECRETS_SCRIPT).stdout
    line = next(line for line in out.splitlines() if line.startswith("SECRETS "))
    return [value for value in json.loads(line.removeprefix("SECRETS ")) if len(value) >= MIN_LENGTH]


def sqlite_secrets(database: Path) -> list[str]:
    """Secrets in a service's SQLite file, read-only: API tokens (their digests), password hashes and every
    column whose name says it holds a secret (webhook signing secrets...)."""
    found: list[str] = []
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for column in conn.execute(f'PRAGMA table_info("{table}")').fetchall():
                name = column[1]
                wanted = (table == "authtoken_token" and name == "key") or name in {"password", "secret"}
                wanted = wanted or (table == "videos_apitoken" and name == "digest")
                wanted = wanted or name.endswith(("_secret", "_token", "_password"))
                if wanted:
                    found += [row[0] for row in conn.execute(f'SELECT "{name}" FROM "{table}"') if row[0]]
    return [value for value in found if isinstance(value, str) and len(value) >= MIN_LENGTH]


def secret_key_files(root: Path) -> list[str]:
    return [path.read_text().strip() for path in root.glob("**/secret_key") if path.is_file()]


def find_leaks(log_files: list[Path], secrets: set[str]) -> list[str]:
    """'file:line: which secret' for every log line that contains one of `secrets`."""
    leaks = []
    for path in log_files:
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            for secret in secrets:
                if secret in line:
                    leaks.append(f"{path}:{number}: contains a secret starting {secret[:4]}…")
    return leaks
