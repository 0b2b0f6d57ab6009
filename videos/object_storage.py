"""Media in an S3-compatible object store: django-storages' S3 backend plus what the service
needs of it. STORAGES["default"] when COGVIDEO_S3_BUCKET is set (cogvideo_site/settings.py);
imported only then, so boto3 is needed only by installations that use it.

- Uploads carry a SHA-256 (`ChecksumAlgorithm`): the store checks the body against it on
  arrival and keeps it, so the worker can compare it with the digest of its own file without
  reading the object back (videos/media_files.verify_stored). Files up to the multipart
  threshold (64 MiB, far above a video) go up in one PUT, whose checksum is the whole
  object's; a PUT is atomic, so a failed upload leaves no half object, and a failed multipart
  upload is aborted by boto3.
- Reads stream: `stream` is one GET with the Range passed through, yielding chunks as they
  arrive (django-storages' own file object downloads the whole object before the first
  byte).
- Presigned download URLs are signed for `public_endpoint_url` when the clients reach the
  store at another address than the workers do.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

from boto3.s3.transfer import TransferConfig
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

MULTIPART_THRESHOLD = 64 * 1024 * 1024
CHUNK = 256 * 1024


class ObjectStorage(S3Storage):
    is_object_store = True

    def __init__(self, **settings):
        self.public_endpoint_url = settings.pop("public_endpoint_url", None)
        super().__init__(**settings)

    def get_default_settings(self) -> dict:
        defaults = super().get_default_settings()
        defaults.update(
            # SigV4: presigned URLs with response headers need it (SigV2's fail on SeaweedFS,
            # and AWS regions opened since 2014 take nothing else).
            signature_version="s3v4",
            object_parameters={"ChecksumAlgorithm": "SHA256"},
            transfer_config=TransferConfig(multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=16 << 20),
        )
        return defaults

    def object_key(self, name: str) -> str:
        return self._normalize_name(clean_name(name))

    @property
    def client(self):
        return self.connection.meta.client

    def stream(self, name: str, start: int | None = None, end: int | None = None) -> Iterator[bytes]:
        """The object's bytes (start..end inclusive when given), read as they arrive. The GET
        is sent before the first chunk is asked for, so a missing object raises here, in the
        view, not half-way through a response."""
        params = {"Bucket": self.bucket_name, "Key": self.object_key(name)}
        if start is not None:
            params["Range"] = f"bytes={start}-{'' if end is None else end}"
        body = self.client.get_object(**params)["Body"]

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(CHUNK)
            finally:
                body.close()

        return chunks()

    def stored_size_and_sha256(self, name: str) -> tuple[int, str | None]:
        """The object's size and the SHA-256 the store computed and checked on upload (hex),
        in one HEAD; the digest is None when the store has none for the whole object (an
        object put without one, or a multipart upload, whose checksum is of its parts)."""
        head = self.client.head_object(Bucket=self.bucket_name, Key=self.object_key(name), ChecksumMode="ENABLED")
        value = head.get("ChecksumSHA256")
        if not value or "-" in value or head.get("ChecksumType", "FULL_OBJECT") != "FULL_OBJECT":
            return head["ContentLength"], None
        return head["ContentLength"], base64.b64decode(value).hex()

    def stored_sha256(self, name: str) -> str | None:
        return self.stored_size_and_sha256(name)[1]

    def download_url(self, name: str, *, filename: str, content_type: str, expire: int | None = None) -> str:
        """A presigned GET that answers with the service's own headers (type, inline file name,
        private caching no longer than the URL lives)."""
        expire = expire or self.querystring_expire
        params = {
            "Bucket": self.bucket_name,
            "Key": self.object_key(name),
            "ResponseContentType": content_type,
            "ResponseContentDisposition": f'inline; filename="{filename}"',
            "ResponseCacheControl": f"private, max-age={expire}",
        }
        return self._signing_client().generate_presigned_url("get_object", Params=params, ExpiresIn=expire)

    def _signing_client(self):
        if not self.public_endpoint_url:
            return self.client
        client = getattr(self._connections, "public_client", None)
        if client is None:
            session = self._create_session()
            client = session.client(
                "s3",
                region_name=self.region_name,
                use_ssl=self.use_ssl,
                endpoint_url=self.public_endpoint_url,
                config=self.client_config,
                verify=self.verify,
            )
            self._connections.public_client = client
        return client

    def check(self) -> tuple[bool, str]:
        """Whether the bucket answers (readiness); the detail names the bucket, never a key."""
        try:
            self.client.head_bucket(Bucket=self.bucket_name)
        except Exception as exc:  # noqa: BLE001 - any failure is "not reachable", said plainly
            return False, f"object store bucket {self.bucket_name!r} not reachable: {type(exc).__name__}"
        return True, f"object store bucket {self.bucket_name!r} reachable"

    def describe(self) -> str:
        """Where media lives, for operators: s3://bucket/prefix (no endpoint credentials)."""
        location = f"/{self.location}" if self.location else ""
        return f"s3://{self.bucket_name}{location}"
