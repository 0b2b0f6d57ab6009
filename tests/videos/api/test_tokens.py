"""Account API tokens (issue 20): stored as keyed digests only, several named tokens per user
with their last use and an optional expiry, `create_api_token` never shows a token twice, and
the tokens DRF issued before migration 0010 keep working."""

from __future__ import annotations

import hashlib
import hmac
import importlib
import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from videos import services
from videos.models import ApiToken


def bearer(text: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    return client


def every_stored_value() -> str:
    with connection.cursor() as cursor:
        tables = [t for t in connection.introspection.table_names(cursor) if "token" in t]
        rows = []
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')
            rows += cursor.fetchall()
    return repr(rows)


def test_only_a_keyed_digest_is_stored(owner):
    stored = ApiToken.objects.get(user=owner)
    expected = hmac.new(settings.COGVIDEO_TOKEN_HASH_KEY.encode(), owner.token.encode(), hashlib.sha256).hexdigest()
    assert stored.digest == expected and owner.token.startswith("cvk_")
    assert owner.token not in every_stored_value() and owner.token[:16] not in every_stored_value()
    assert stored.prefix == owner.token[:12] and owner.token[:12] in str(stored)
    assert not Token.objects.exists()


def test_named_tokens_work_side_by_side_and_record_their_last_use(owner, owner_api):
    second = services.issue_account_token(owner, name="cms")
    with pytest.raises(services.ServiceError):
        services.issue_account_token(owner, name="cms")
    assert owner_api.get("/api/tasks").status_code == 200
    assert bearer(second.text).get("/api/tasks").status_code == 200
    assert ApiToken.objects.get(pk=second.token.pk).last_used_at is not None
    services.revoke_tokens(ApiToken.objects.filter(pk=second.token.pk))
    refused = bearer(second.text).get("/api/tasks")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert owner_api.get("/api/tasks").status_code == 200  # the other token is untouched


def test_an_expired_token_is_refused(owner):
    issued = services.issue_account_token(owner, name="short", expires_at=timezone.now() + timedelta(hours=1))
    assert bearer(issued.text).get("/api/tasks").status_code == 200
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = bearer(issued.text).get("/api/tasks")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_expired"
    assert issued.text not in refused.content.decode()


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_api_token_never_prints_an_existing_token(db):
    first = run("dora")[0].strip().splitlines()[-1]
    assert bearer(first).get("/api/tasks").status_code == 200
    with pytest.raises(CommandError) as refused:
        run("dora")
    message = str(refused.value)
    assert first not in message and first[:12] in message and "--rotate" in message
    rotated = run("dora", "--rotate")[0].strip().splitlines()[-1]
    assert rotated != first and bearer(rotated).get("/api/tasks").status_code == 200
    assert bearer(first).get("/api/tasks").status_code == 401
    other = run("dora", "--name", "wordpress")[0].strip().splitlines()[-1]
    assert bearer(other).get("/api/tasks").status_code == 200 and bearer(rotated).get("/api/tasks").status_code == 200


def test_tokens_drf_issued_before_keep_working(django_user_model):
    """Migration 0010's data step, on a DRF token as 0009 left it."""
    user = django_user_model.objects.create_user("legacy")
    legacy = Token.objects.create(user=user).key
    migration = importlib.import_module("videos.migrations.0010_hashed_api_tokens")
    migration.hash_existing_tokens(apps, None)
    assert not Token.objects.exists() and legacy not in every_stored_value()
    assert ApiToken.objects.get(user=user).prefix == legacy[:4]
    assert bearer(legacy).get("/api/tasks").status_code == 200
    assert APIClient().get("/api/tasks", HTTP_AUTHORIZATION=f"Token {legacy}").status_code == 200
