from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from .dashboard import dashboard_context
from .models import OperationsDashboard
from .stats import WINDOWS


@admin.register(OperationsDashboard)
class OperationsDashboardAdmin(admin.ModelAdmin):
    """The admin's list page of this proxy is the dashboard; there is nothing to add or edit."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        # The admin site lets editors in; this page replaces Django's list view, so it checks
        # the view permission itself (Django's list view would have).
        if not self.has_view_permission(request):
            raise PermissionDenied
        window = request.GET.get("window", "24h")
        window_error = None
        if window not in WINDOWS:
            window_error = f"Unknown window {window[:20]!r}; choose one of {', '.join(WINDOWS)}. Showing 24h."
            window = "24h"
        context = {
            **self.admin_site.each_context(request),
            **dashboard_context(window),
            "title": "Operations dashboard",
            "opts": self.model._meta,
            "window_error": window_error,
        }
        return TemplateResponse(request, "monitoring/dashboard.html", context)
