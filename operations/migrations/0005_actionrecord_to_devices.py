# The device actions' record now belongs to the devices app (devices 0003_actionrecord):
# dropped from this app's migration state only, its table stays where it is.

from django.db import migrations


class Migration(migrations.Migration):
    # After devices took the model over, so that at every step one app's state holds it
    # (no other model points at it: its only foreign key is to itself).
    dependencies = [
        ("operations", "0004_action_outcome_index"),
        ("devices", "0003_actionrecord"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ActionRecord")],
            database_operations=[],
        ),
    ]
