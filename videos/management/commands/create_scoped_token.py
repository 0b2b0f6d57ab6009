"""`manage.py create_scoped_token USERNAME --origin https://shop.example --action generate
--action status --expires-in 3600`: a scoped browser token (docs/BROWSER_TOKENS.md), validated
like POST /api/tokens/scoped. The last line of output is the token alone."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from videos import services, token_rules


class Command(BaseCommand):
    help = "Issue a scoped browser token for an existing user."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--origin", action="append", default=[], help="an allowed origin (repeat for more)")
        parser.add_argument(
            "--action", action="append", default=[], choices=token_rules.ACTIONS, help="an allowed action (repeat)"
        )
        parser.add_argument("--expires-in", type=int, required=True, help="lifetime in seconds")
        parser.add_argument("--rate", type=int, default=token_rules.DEFAULT_RATE_PER_MINUTE, help="requests a minute")
        parser.add_argument("--quota", type=int, default=token_rules.DEFAULT_JOB_QUOTA, help="jobs in all")
        parser.add_argument("--name", default="browser")

    def handle(self, *args, username, origin, action, expires_in, rate, quota, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}; create one with `manage.py create_api_token {username}`.")
        body = {
            "name": name,
            "actions": action,
            "origins": origin,
            "expires_in": expires_in,
            "rate_per_minute": rate,
            "job_quota": quota,
        }
        try:
            spec = token_rules.parse_scoped_token_request(body)
        except ValidationError as error:
            problems = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
            raise CommandError(problems) from None
        issued = services.issue_scoped_token(user, spec)
        self.stderr.write(
            f"Scoped token {issued.token.prefix}… for {username!r}: {', '.join(spec.actions)} from "
            f"{', '.join(spec.origins)}, until {issued.token.expires_at:%Y-%m-%d %H:%M} UTC."
        )
        self.stdout.write(issued.text)
