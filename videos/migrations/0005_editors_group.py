"""The "Editors" group: people who make videos in the studio and the admin.

They may sign in to the admin without being staff (see videos/admin_site.py), see and create
their own jobs (videos/access.py limits them to their own), watch their videos, and write
prompt templates. No delete, no users, no queue internals.
"""

from django.db import migrations

EDITORS_GROUP = "Editors"
EDITOR_PERMISSIONS = {
    "videojob": ["view", "add"],
    "video": ["view"],
    "prompttemplate": ["view", "add", "change"],
}


def create_editors_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations ran (post_migrate); create them
    # now so the group can be given them in the same migrate run.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    codenames = [f"{action}_{model}" for model, actions in EDITOR_PERMISSIONS.items() for action in actions]
    permissions = Permission.objects.filter(content_type__app_label="videos", codename__in=codenames)
    group.permissions.set(permissions)


def remove_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=EDITORS_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("videos", "0004_idempotency_records"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors_group, remove_editors_group)]
