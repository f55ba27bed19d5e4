from django.db import migrations, models


def mark_jobs_with_files(apps, schema_editor):
    Job = apps.get_model("studio", "Job")
    Job.objects.filter(files__isnull=False).update(has_files=True)


class Migration(migrations.Migration):
    dependencies = [("studio", "0006_job_owner_active_idx")]

    operations = [
        migrations.AddField(
            model_name="job",
            name="has_files",
            field=models.BooleanField(default=False, editable=False),
        ),
        # Jobs made before the flag keep their files readable by a worker that retries them.
        migrations.RunPython(mark_jobs_with_files, migrations.RunPython.noop),
    ]
