"""Media in an object store (videos/object_storage.py, videos/media_files.py), against the real
S3 server of the scale-out pass (SeaweedFS): checksums kept by the store and compared after an
upload, bytes changed behind the service's back caught, ranged reads, presigned URLs. Skipped
in the embedded pass, which has no object store."""

from __future__ import annotations

import base64
import hashlib
import os
import time

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from tests.support.object_store import BUCKET
from videos import media_files


@pytest.fixture
def stored(object_store_media):
    store, prefix = object_store_media
    data = os.urandom(300_000)
    name = default_storage.save("videos/2026/01/clip.mp4", ContentFile(data))
    return store, prefix, name, data


def test_the_store_checks_the_sha256_of_an_upload_and_the_service_compares_it(stored):
    store, prefix, name, data = stored
    digest = hashlib.sha256(data).hexdigest()
    head = store.client().head_object(Bucket=BUCKET, Key=f"{prefix}/{name}", ChecksumMode="ENABLED")
    assert base64.b64decode(head["ChecksumSHA256"]).hex() == digest  # sent with the upload, kept by the store
    assert default_storage.stored_sha256(name) == digest
    assert media_files.verify_stored(name, digest, len(data)) == "store checksum"
    with pytest.raises(media_files.StoredFileMismatch, match="bytes stored"):
        media_files.verify_stored(name, digest, len(data) + 1)


def test_bytes_changed_behind_the_service_fail_the_check(stored):
    store, prefix, name, data = stored
    digest = hashlib.sha256(data).hexdigest()
    other = bytes(reversed(data))  # same size, other bytes
    client = store.client()
    client.put_object(Bucket=BUCKET, Key=f"{prefix}/{name}", Body=other, ChecksumAlgorithm="SHA256")
    with pytest.raises(media_files.StoredFileMismatch, match="store checksum"):
        media_files.verify_stored(name, digest, len(data))
    # Without a checksum of the store's own, the file is read back and hashed.
    client.put_object(Bucket=BUCKET, Key=f"{prefix}/{name}", Body=other)
    assert default_storage.stored_sha256(name) is None
    with pytest.raises(media_files.StoredFileMismatch, match="read back"):
        media_files.verify_stored(name, digest, len(data))
    assert media_files.verify_stored(name, hashlib.sha256(other).hexdigest(), len(other)) == "read back"


def test_ranged_reads_get_only_the_range_from_the_store(stored):
    _store, _prefix, name, data = stored
    assert b"".join(media_files.read_range(default_storage, name, 1000, 1099)) == data[1000:1100]
    assert b"".join(media_files.read_range(default_storage, name, len(data) - 5, len(data) - 1)) == data[-5:]
    assert b"".join(media_files.read_all(default_storage, name)) == data
    with pytest.raises(FileNotFoundError):
        default_storage.size("videos/2026/01/missing.mp4")


def test_a_presigned_url_serves_the_file_with_the_services_headers_until_it_expires(stored, settings):
    store, prefix, name, data = stored
    url = default_storage.download_url(name, filename="clip.mp4", content_type="video/mp4", expire=2)
    assert store.secret_key not in url
    whole = httpx.get(url, timeout=30)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["content-disposition"] == 'inline; filename="clip.mp4"'
    part = httpx.get(url, headers={"Range": "bytes=10-19"}, timeout=30)
    assert part.status_code == 206 and part.content == data[10:20]
    # Signed for the address clients use, when the workers reach the store at another one.
    public = store.endpoint_url.replace("127.0.0.1", "localhost")
    settings.STORAGES = {**settings.STORAGES, "default": store.storage_setting(prefix, public_endpoint_url=public)}
    elsewhere = default_storage.download_url(name, filename="clip.mp4", content_type="video/mp4")
    assert elsewhere.startswith(public + "/") and httpx.get(elsewhere, timeout=30).content == data
    time.sleep(3)  # after the positive answers: the first URL has expired
    assert httpx.get(url, timeout=30).status_code == 403


def test_status_and_disk_report_the_store_not_a_media_folder(stored, staff_api):
    store, prefix, _name, _data = stored
    assert media_files.local_root() is None
    assert media_files.describe() == {"backend": "s3", "location": f"s3://{BUCKET}/{prefix}"}
    assert media_files.check() == (True, f"object store bucket {BUCKET!r} reachable")
    from videos import disk_space

    assert disk_space.disk_state().folder == "data"  # media takes no room on this machine
    # Staff see where media lives; nobody sees a credential, readiness included.
    status = staff_api.get("/api/system/status")
    assert status.json()["storage"] == {"backend": "s3", "location": f"s3://{BUCKET}/{prefix}"}
    ready = staff_api.get("/api/health/ready")
    assert "reachable" in ready.json()["checks"]["storage"]["detail"]
    for secret in (store.secret_key, store.access_key):
        assert secret not in status.content.decode() and secret not in ready.content.decode()
