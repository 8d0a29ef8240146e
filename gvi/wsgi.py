import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gvi.settings")

application = get_wsgi_application()

from gvi.checks import require_secret_key  # noqa: E402  (needs the settings loaded above)

require_secret_key()

# The app is loaded: its modules, settings and URL patterns live as long as the worker. Frozen, the garbage
# collector never scans them again, so a full collection during a request walks only that request's objects
# (without this, a collection at national scale paused a request for 50-100 ms).
gc.freeze()
