"""Account.search_text: what the public directory searches, filled for existing accounts."""

from django.db import migrations, models

from townsquare.channels.search_text import build_search_text, organisation_names


def fill_search_text(apps, schema_editor):
    account_model = apps.get_model("channels", "Account")
    accounts = account_model.objects.select_related("organisation").order_by("pk")
    batch = []
    for account in accounts.iterator(chunk_size=2000):
        organisation = account.organisation
        account.search_text = build_search_text(
            handle=account.handle,
            display_name=account.display_name,
            url=account.url,
            organisation=organisation_names(
                name=organisation.name,
                short_name=organisation.short_name,
                slug=organisation.slug,
                translations=organisation.translations,
            ),
        )
        batch.append(account)
        if len(batch) >= 500:
            account_model.objects.bulk_update(batch, ["search_text"])
            batch = []
    if batch:
        account_model.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0002_accountmetricsnapshot"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        # Nothing to undo: going back drops the column.
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
    ]
