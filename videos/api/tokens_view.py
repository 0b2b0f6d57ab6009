"""POST /api/tokens/scoped: an account-token holder issues a scoped browser token
(docs/BROWSER_TOKENS.md). The token's text is in this answer only."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import services
from ..isotime import iso_z
from ..token_rules import parse_scoped_token_request
from . import docs


class ScopedTokenCreateView(APIView):
    # No token_action: a scoped token is refused here (videos/api/permissions.py).

    @extend_schema(
        operation_id="create_scoped_token",
        request=docs.ScopedTokenRequestSerializer,
        responses={201: docs.ScopedTokenSerializer, **docs.ERRORS_WRITE, 403: docs.ERROR},
        description="Issue a scoped token for a web page: only its actions, only from its origins, until it "
        "expires, at its own rate and job quota; it sees only the jobs it created. Needs an account token "
        "(a scoped token cannot create tokens). The token is shown in this answer only.",
    )
    def post(self, request):
        spec = parse_scoped_token_request(request.data)
        issued = services.issue_scoped_token(request.user, spec, issued_by=request.auth)
        token = issued.token
        body = {
            "token": issued.text,
            "prefix": token.prefix,
            "name": token.name,
            "actions": token.actions,
            "origins": list(spec.origins),
            "expires_at": iso_z(token.expires_at),
            "rate_per_minute": token.rate_per_minute,
            "job_quota": token.job_quota,
        }
        return Response(body, status=201, headers={"Cache-Control": "no-store"})
