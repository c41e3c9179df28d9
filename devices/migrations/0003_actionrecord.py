# The device actions' record moves from the operations app to this one in the migration
# state only: its table keeps its name (Meta.db_table), so no row is copied or rewritten.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def content_type_to(app_label, other_label):
    """Relabels the model's content type, so its permissions (and the groups and users that
    hold them) and the admin's history entries follow it instead of being left stale."""

    def relabel(apps, schema_editor):
        content_types = apps.get_model("contenttypes", "ContentType").objects
        content_types = content_types.using(schema_editor.connection.alias)
        if content_types.filter(app_label=app_label, model="actionrecord").exists():
            return  # the label is taken already (a fresh database has neither): left as is
        content_types.filter(app_label=other_label, model="actionrecord").update(
            app_label=app_label
        )

    return relabel


class Migration(migrations.Migration):
    # After the operations migrations that create and shape the table, so that on a fresh
    # database the table exists before this app takes it over; operations'
    # 0005_actionrecord_to_devices then drops the model from its own state.
    dependencies = [
        ("devices", "0002_bulkjob_heartbeat_at"),
        ("operations", "0004_action_outcome_index"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ActionRecord",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("key", models.CharField(max_length=64, unique=True)),
                        ("device_id", models.PositiveBigIntegerField(db_index=True)),
                        ("device_name", models.CharField(blank=True, max_length=255)),
                        ("organization_id", models.PositiveIntegerField(blank=True, null=True)),
                        ("action", models.CharField(max_length=32)),
                        ("parameters", models.JSONField(blank=True, default=dict)),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("sending", "Sending"),
                                    ("sent", "Accepted by the control API"),
                                    ("failed", "Refused or failed"),
                                    ("unknown", "Outcome unknown"),
                                    ("refused", "Not allowed: nothing sent"),
                                    ("already_pending", "Already pending: nothing sent"),
                                ],
                                default="sending",
                                max_length=16,
                            ),
                        ),
                        ("message", models.TextField(blank=True)),
                        (
                            "upstream_status",
                            models.PositiveSmallIntegerField(blank=True, null=True),
                        ),
                        ("pending_name", models.CharField(blank=True, max_length=64)),
                        ("pending_seen", models.BooleanField(default=False)),
                        ("answered_change", models.DateTimeField(blank=True, null=True)),
                        (
                            "follow",
                            models.CharField(
                                choices=[
                                    ("waiting", "Waiting for the device"),
                                    ("confirmed", "Confirmed by the device"),
                                    ("timed_out", "Not confirmed in time"),
                                    ("contradicted", "Contradicted by the device"),
                                    ("none", "Not followed"),
                                ],
                                default="none",
                                max_length=16,
                            ),
                        ),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("confirmed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "resend_of",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="resends",
                                to="devices.actionrecord",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "operations_actionrecord",
                        "ordering": ["-created_at", "-id"],
                        # The names the operations migrations gave the indexes in the database.
                        "indexes": [
                            models.Index(
                                fields=["device_id", "-created_at"],
                                name="operations__device__8ac14c_idx",
                            ),
                            models.Index(fields=["action", "state"], name="action_outcome_idx"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(
            content_type_to("devices", "operations"), content_type_to("operations", "devices")
        ),
    ]
