"""Re-encrypt every stored network credential with the newest key.

Put the new key first in CHANNEL_ENCRYPTION_KEYS (keep the old ones after it), run this,
then remove the old keys.
"""

from django.core.management.base import BaseCommand

from townsquare.channels.services.credentials import credentials_rotate_all
from townsquare.core.services import audit_record


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        count = credentials_rotate_all()
        audit_record(actor=None, action="channels.keys_rotated", details={"credentials": count})
        self.stdout.write(f"Re-encrypted {count} stored credential(s) with the newest key.")
