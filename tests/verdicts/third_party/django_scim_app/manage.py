"""Django's command-line utility for the django-scim2 site of
tests/verdicts/test_third_party_django.py."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scimsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
