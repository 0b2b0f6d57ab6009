from django.db import migrations


class Migration(migrations.Migration):
    """WorkerHeartbeat.jobs_done counted pipeline runs (a reused or failed-before-running job
    adds none): named for what it counts."""

    dependencies = [("videos", "0007_reaper_schedule")]

    operations = [
        migrations.RenameField(model_name="workerheartbeat", old_name="jobs_done", new_name="pipeline_runs"),
    ]
