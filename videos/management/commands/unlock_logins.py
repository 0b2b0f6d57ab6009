"""`manage.py unlock_logins --user NAME | --address IP | --all`: forget failed sign-ins, so a
locked-out account or address may sign in again at once; says what it cleared."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from videos import services


class Command(BaseCommand):
    help = "Clear failed sign-ins (the login lockout) of an account, an address, or all."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--user", metavar="NAME", help="the username as typed on the login page")
        which.add_argument("--address", metavar="IP", help="a client address")
        which.add_argument("--all", action="store_true", help="every account and address")

    def handle(self, *args, user: str | None, address: str | None, all: bool, **options):
        cleared = services.unlock_logins(username=user, address=address, everything=all)
        if all:
            what = f"all accounts and addresses ({cleared.accounts} account(s), {cleared.addresses} address(es))"
        elif user is not None:
            what = f"account {user!r}"
        else:
            what = f"address {address}"
        if cleared.failures:
            self.stdout.write(f"Unlocked {what}: cleared {cleared.failures} failed sign-in(s).")
        else:
            self.stdout.write(f"Nothing to clear for {what}: no failed sign-ins on record.")
