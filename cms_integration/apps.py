from django.apps import AppConfig


class CmsIntegrationConfig(AppConfig):
    name = "cms_integration"
    verbose_name = "CMS integration"

    def ready(self) -> None:
        # Finished jobs -> signed webhooks (videos.signals.job_finished).
        from . import checks, receivers  # noqa: F401
