from django.db import migrations


def seed(apps, schema_editor):
    from billing.seed import seed_all

    seed_all(
        Plan=apps.get_model("billing", "Plan"),
        PriceRule=apps.get_model("billing", "PriceRule"),
        CreditPack=apps.get_model("billing", "CreditPack"),
    )


class Migration(migrations.Migration):
    # Users who existed before this migration get their subscription and first grant
    # the first time billing looks them up (services.account_for opens it lazily).

    dependencies = [("billing", "0002_plans_prices_packs")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
