import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gvi.settings")

application = get_asgi_application()

from gvi.checks import require_secret_key  # noqa: E402  (needs the settings loaded above)

require_secret_key()
