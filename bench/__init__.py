"""The benchmarks (`make bench`, `make bench-search`): not part of the site.

Run each as `python -m bench.<name>` from the project folder. Importing this
package sets Django up with the site's settings (DATABASE_URL and REDIS_URL
choose the services), so the modules here can use the models at once.
"""

import os

import django
from django.apps import apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
if not apps.ready:
    django.setup()
