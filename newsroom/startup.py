"""Stop start-up with one clear line when the configuration is wrong."""

import sys

from django.core.exceptions import ImproperlyConfigured


def load_settings_or_exit(exit_code: int = 1) -> None:
    """Read the settings now, so a missing or wrong environment variable ends
    the program with the line naming it instead of a traceback later."""
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 (reading it loads the settings)
    except ImproperlyConfigured as error:
        sys.stderr.write(f"newsroom: configuration error: {error}\n")
        raise SystemExit(exit_code) from None


if __name__ == "__main__":
    # gunicorn.conf.py runs this before gunicorn starts any worker.
    load_settings_or_exit()
