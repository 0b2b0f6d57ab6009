"""Issuing, rotating, revoking and touching API tokens. A new token's text is returned once,
by the function that issues it; only its digest is stored (videos/token_rules.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .. import token_rules
from ..models import ApiToken, ScopedTokenOrigin, TokenKind
from .errors import ServiceError

# last_used_at is written at most this often per token: a request does not become a write.
LAST_USED_RESOLUTION = timedelta(seconds=60)


class TokenNotAllowed(ServiceError):
    code = "token_not_allowed"
    status = 403


class TokenQuotaExceeded(ServiceError):
    code = "token_quota_exceeded"
    status = 403


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    text: str  # the token itself: shown once, never stored


def _store(user, text: str, **fields) -> ApiToken:
    return ApiToken.objects.create(
        user=user, prefix=token_rules.shown_prefix(text), digest=token_rules.token_digest(text), **fields
    )


def issue_account_token(user, *, name: str = "default", expires_at=None) -> IssuedToken:
    """A new account token named `name`; an active token of that name is refused (rotate it)."""
    if ApiToken.objects.filter(user=user, kind=TokenKind.ACCOUNT, name=name, revoked_at__isnull=True).exists():
        raise ServiceError(f"{user} already has an active token named {name!r}.")
    text = token_rules.new_token(scoped=False)
    return IssuedToken(_store(user, text, kind=TokenKind.ACCOUNT, name=name, expires_at=expires_at), text)


def rotate_account_token(user, *, name: str = "default") -> IssuedToken:
    """Revoke the user's active account token `name` (if any) and issue a new one."""
    with transaction.atomic():
        revoke_tokens(ApiToken.objects.filter(user=user, kind=TokenKind.ACCOUNT, name=name))
        return issue_account_token(user, name=name)


def issue_scoped_token(user, spec: token_rules.ScopedTokenSpec, *, issued_by: ApiToken | None = None) -> IssuedToken:
    """A scoped browser token of `user` (spec from token_rules.parse_scoped_token_request).
    Only an account token (or an operator's command, issued_by None) may issue one."""
    if issued_by is not None and issued_by.kind != TokenKind.ACCOUNT:
        raise TokenNotAllowed("A scoped token cannot create tokens; use an account token.")
    text = token_rules.new_token(scoped=True)
    with transaction.atomic():
        token = _store(
            user,
            text,
            kind=TokenKind.SCOPED,
            name=spec.name,
            actions=list(spec.actions),
            expires_at=timezone.now() + spec.lifetime,
            rate_per_minute=spec.rate_per_minute,
            job_quota=spec.job_quota,
            issued_by=issued_by,
        )
        ScopedTokenOrigin.objects.bulk_create([ScopedTokenOrigin(token=token, origin=o) for o in spec.origins])
    return IssuedToken(token, text)


def revoke_tokens(tokens) -> int:
    """Revoke the active tokens of a queryset; revoked tokens stay listed (by prefix)."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def touch_token(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def check_job_quota(token: ApiToken | None) -> None:
    """TokenQuotaExceeded once a scoped token has created its `job_quota` jobs."""
    if token is None or not token.is_scoped or token.job_quota is None:
        return
    if token.jobs.count() >= token.job_quota:
        raise TokenQuotaExceeded(
            f"This token has used its quota of {token.job_quota} jobs; ask the site for a new token.",
            quota=token.job_quota,
        )
