import os

from django.core.wsgi import get_wsgi_application

from newsroom.startup import load_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

# Exit status 3 tells gunicorn the workers cannot boot, so it stops instead
# of restarting them in a loop.
load_settings_or_exit(exit_code=3)
application = get_wsgi_application()
