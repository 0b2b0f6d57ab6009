from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from videos.selectors import register_system_status_extension
        from videos.signals import job_finished

        from .job_events import log_finished_job
        from .stats import extend_system_status

        # Finished states (completed, failed, canceled) are logged from the signal, which
        # carries the freshly read row: its timestamps give exact seconds.
        job_finished.connect(log_finished_job, dispatch_uid="monitoring.log_finished_job")
        # The operators' fields of GET /api/system/status: videos calls what apps register.
        register_system_status_extension(extend_system_status)
