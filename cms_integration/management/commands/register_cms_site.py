"""Register a CMS site for an account: `manage.py register_cms_site USERNAME --name ... --webhook-url ...`.
The last line of output is the site's webhook secret (paste it into the CMS)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cms_integration.models import CmsSite


class Command(BaseCommand):
    help = "Register (or update) a CMS site that receives signed webhooks for USERNAME's jobs."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True)
        parser.add_argument("--webhook-url", required=True)
        parser.add_argument("--new-secret", action="store_true", help="replace the secret of an existing site")

    def handle(self, *args, username, name, webhook_url, new_secret, **options):
        try:
            owner = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        site = CmsSite.objects.filter(owner=owner, name=name).first()
        created = site is None
        if created:
            site = CmsSite(owner=owner, name=name)
        site.webhook_url = webhook_url
        site.is_active = True  # Registering again also re-enables a deactivated site.
        if new_secret and not created:
            from cms_integration.models import generate_webhook_secret

            site.secret = generate_webhook_secret()
        try:
            site.full_clean()
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        site.save()
        self.stdout.write(f"{'Registered' if created else 'Updated'} CMS site {site.name!r} for {username}.")
        self.stdout.write(site.secret)
