"""The ``staff_email`` consumer (course staff told of reviews that need them) starts with the
events recorded from now on: an upgraded deployment does not email staff about old reviews.
(A consumer's row created without a cursor would start at the oldest retained event.)"""

from django.db import migrations
from django.db.models import Max


def staff_email_from_now(apps, schema_editor):
    Subscription = apps.get_model("outbox", "Subscription")
    Event = apps.get_model("outbox", "Event")
    latest = Event.objects.aggregate(latest=Max("id"))["latest"]
    if not Subscription.objects.filter(kind="internal", name="staff_email").exists():
        Subscription.objects.create(kind="internal", name="staff_email", cursor=latest)


class Migration(migrations.Migration):
    dependencies = [("outbox", "0001_initial")]

    operations = [migrations.RunPython(staff_email_from_now, migrations.RunPython.noop)]
