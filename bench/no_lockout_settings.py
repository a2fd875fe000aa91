"""The site's settings with sign-in lockout off, as the site was before
django-axes: bench/login_flood.py's "before" scenario. Never for a site."""

from newsroom.settings import *  # noqa: F403

AXES_ENABLED = False
