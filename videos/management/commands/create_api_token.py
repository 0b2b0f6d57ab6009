"""`manage.py create_api_token USERNAME`: create the user if needed and issue an account token.
The last line of output is the new token alone, so scripts can take it with `tail -n 1`.

Tokens are stored as digests, so an existing token cannot be shown again: with one already
active (of that name), the command says so (by prefix) and fails; `--rotate` revokes it and
issues a new one, `--name` issues another, separately revocable token."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from videos import services
from videos.models import ApiToken, TokenKind


class Command(BaseCommand):
    help = "Issue an API token for a user (creating the user if needed); --rotate replaces the existing one."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--staff", action="store_true", help="make the user staff (sees all jobs)")
        parser.add_argument("--rotate", action="store_true", help="revoke the token of this name and issue a new one")
        parser.add_argument("--name", default="default", help="the token's name (a user may have several)")

    def handle(self, *args, username: str, staff: bool, rotate: bool, name: str, **options):
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save()
            self.stderr.write(f"Created user {username!r} (no password; API token only).")
        if staff and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        current = ApiToken.objects.filter(user=user, kind=TokenKind.ACCOUNT, name=name, revoked_at__isnull=True).first()
        if rotate:
            issued = services.rotate_account_token(user, name=name)
            if current is not None:
                self.stderr.write(f"Revoked token {name!r} ({current.prefix}…) of {username!r}.")
        elif current is not None:
            name_option = "" if name == "default" else f" --name {name}"
            raise CommandError(
                f"{username!r} already has an API token named {name!r} ({current.prefix}…); it is stored as a "
                f"digest and cannot be shown again. Replace it: `manage.py create_api_token {username}{name_option} "
                "--rotate`, or issue another token with --name NAME."
            )
        else:
            issued = services.issue_account_token(user, name=name)
        self.stdout.write(issued.text)
