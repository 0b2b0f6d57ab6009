"""No tables of its own: the dashboard reads jobs and worker heartbeats."""

from videos.models import WorkerHeartbeat


class OperationsDashboard(WorkerHeartbeat):
    """A proxy so the staff dashboard appears in the admin index (Monitoring -> Operations
    dashboard) without overriding the admin's index template, which other apps may customise."""

    class Meta:
        proxy = True
        verbose_name = "operations dashboard"
        verbose_name_plural = "operations dashboard"
