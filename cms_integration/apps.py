from django.apps import AppConfig


class CmsIntegrationConfig(AppConfig):
    name = "cms_integration"
    verbose_name = "CMS integration"
