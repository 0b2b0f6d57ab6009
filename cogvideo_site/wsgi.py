import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cogvideo_site.settings")
application = get_wsgi_application()

from cogvideo_site.chunked import ChunkedBodyMiddleware  # noqa: E402 - needs the settings above

# Chunked request bodies (no Content-Length) read within COGVIDEO_MAX_BODY_BYTES, 413 above.
application = ChunkedBodyMiddleware(application)
