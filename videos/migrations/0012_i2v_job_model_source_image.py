from django.conf import settings
from django.db import migrations, models


def fill_model(apps, schema_editor):
    """Jobs from before several models: the model in their params (or the default), so the
    model's workers claim the queued ones."""
    VideoJob = apps.get_model("videos", "VideoJob")
    for job in VideoJob.objects.filter(model="").only("pk", "params").iterator():
        model = (job.params or {}).get("model") or settings.COGVIDEO_MODEL
        VideoJob.objects.filter(pk=job.pk).update(model=model)


class Migration(migrations.Migration):
    dependencies = [("videos", "0011_fair_rate_counters")]

    operations = [
        migrations.AddField(
            model_name="videojob",
            name="model",
            field=models.CharField(blank=True, db_index=True, default="", max_length=255),
        ),
        migrations.AddField(
            model_name="videojob",
            name="source_image",
            field=models.FileField(blank=True, default="", max_length=255, upload_to=""),
        ),
        migrations.RunPython(fill_model, migrations.RunPython.noop),
    ]
