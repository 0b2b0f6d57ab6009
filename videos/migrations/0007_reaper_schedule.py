"""The reaper also runs from django-q2's scheduler every minute, besides every worker's
heartbeat thread: stale jobs are requeued or failed even while all workers are busy or
restarting, as long as a cluster runs."""

from django.db import migrations

NAME = "cogvideo-reaper"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=NAME,
        defaults={"func": "videos.tasks.reap_stale_jobs", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("videos", "0006_worker_device_slot"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
