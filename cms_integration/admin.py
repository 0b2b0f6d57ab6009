from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from .models import CmsSite, WebhookAttempt, WebhookDelivery
from .webhooks import redeliver


@admin.register(CmsSite)
class CmsSiteAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "webhook_url", "is_active", "owner_has_token", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "webhook_url", "owner__username")
    list_select_related = ("owner",)
    autocomplete_fields = ()
    readonly_fields = ("owner_token_hint", "created_at", "updated_at")
    fields = ("name", "owner", "owner_token_hint", "webhook_url", "secret", "is_active", "created_at", "updated_at")

    @staticmethod
    def _owner_tokens(site: CmsSite):
        return site.owner.api_tokens.filter(kind="account", revoked_at__isnull=True)

    @admin.display(boolean=True, description="API token")
    def owner_has_token(self, site: CmsSite) -> bool:
        return self._owner_tokens(site).exists()

    @admin.display(description="Owner's API token")
    def owner_token_hint(self, site: CmsSite) -> str:
        if not site.pk:
            return "-"
        tokens = list(self._owner_tokens(site))
        if not tokens:
            return "No token yet: create one with `manage.py create_api_token USERNAME`."
        # Only digests are stored: the prefix tells tokens apart, the full token was shown once.
        return format_html_join(
            ", ", "<code>{}…</code> ({})", ((token.prefix, token.name) for token in tokens)
        ) + format_html(" (paste the full token, shown once when issued, into the CMS)")


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("number", "attempted_at", "status_code", "error", "duration_ms", "response_excerpt")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("message_id", "event_type", "site", "url", "status", "attempts", "last_status_code", "created_at")
    list_filter = ("status", "event_type", "site")
    search_fields = ("message_id", "url", "job__id")
    list_select_related = ("site",)
    readonly_fields = [
        "message_id", "site", "job", "event_type", "url", "payload", "status", "attempts", "last_status_code",
        "last_error", "next_attempt_at", "delivered_at", "created_at",
    ]  # fmt: skip
    inlines = [WebhookAttemptInline]
    actions = ["redeliver_selected"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Deliver the selected webhooks again")
    def redeliver_selected(self, request, queryset) -> None:
        for delivery in queryset:
            redeliver(delivery)
        self.message_user(request, f"{queryset.count()} webhook(s) queued for delivery.", messages.SUCCESS)
