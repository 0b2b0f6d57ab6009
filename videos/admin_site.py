"""The admin site: Django's, plus members of the "Editors" group may sign in without being
staff. `is_staff` keeps its meaning everywhere else (the API and videos/access.py): staff
see every job. Editors get only the permissions of their group (see the migration
0005_editors_group) and, through access.jobs_visible_to, only their own jobs.

This module is imported while INSTALLED_APPS loads (StudioAdminConfig), before models can
be imported: anything touching auth forms or models is imported inside functions.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig

EDITORS_GROUP = "Editors"


def is_editor(user) -> bool:
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_is_editor", None)
    if cached is None:
        cached = user.groups.filter(name=EDITORS_GROUP).exists()
        user._is_editor = cached  # one query per request, not one per permission check
    return cached


def staff_or_editor(user) -> bool:
    return bool(user.is_active and (user.is_staff or is_editor(user)))


def _login_form_class():
    from django.contrib.admin.forms import AdminAuthenticationForm
    from django.contrib.auth.forms import AuthenticationForm

    from .login_forms import LoginLockoutMixin

    class StudioAdminAuthenticationForm(LoginLockoutMixin, AdminAuthenticationForm):
        """Django's admin login form refuses non-staff itself; let editors through too. Failed
        sign-ins count towards the same lockout as the studio's (videos/login_forms.py)."""

        def confirm_login_allowed(self, user) -> None:
            AuthenticationForm.confirm_login_allowed(self, user)  # active accounts only
            if not staff_or_editor(user):
                super().confirm_login_allowed(user)  # raises the admin's own message

    return StudioAdminAuthenticationForm


class StudioAdminSite(AdminSite):
    site_header = "CogVideoX Studio administration"
    site_title = "CogVideoX Studio"
    index_title = "Videos, templates and workers"

    @property
    def login_form(self):
        return _login_form_class()

    def has_permission(self, request) -> bool:
        return staff_or_editor(request.user)

    def login(self, request, extra_context=None):
        from .login_forms import mark_locked

        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        if form is not None:
            mark_locked(response, form)
        return response


class StudioAdminConfig(AdminConfig):
    default_site = "videos.admin_site.StudioAdminSite"
