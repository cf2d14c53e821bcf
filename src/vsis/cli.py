"""The `vsis` console command: the project's manage.py."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vsis.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
