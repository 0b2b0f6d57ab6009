from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "videos"
    verbose_name = "Videos"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled
        from django_q.signals import post_spawn

        from .api import schema  # noqa: F401 - registers the OpenAPI auth extension
        from .api.cors import allow_scoped_token_origins
        from .worker import on_worker_spawn

        post_spawn.connect(on_worker_spawn, dispatch_uid="videos.worker.on_worker_spawn")
        check_request_enabled.connect(allow_scoped_token_origins, dispatch_uid="videos.api.cors.scoped_tokens")
