"""Settings for worker subprocesses in tests: the real ones plus test kinds."""

from vsis.config.settings import *  # noqa: F403
from vsis.config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.jobs.apps.TestHandlersConfig"]
