"""Photo files in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2...) through boto3.

Layout, in MEDIA_S3_BUCKET: `originals/<key>` and `renditions/<key>` are private objects (no
ACL is ever granted on them); `MEDIA_S3_PUBLIC_PREFIX` (default `public/`, in the same bucket
or in MEDIA_S3_PUBLIC_BUCKET) holds copies of the renditions of photos that a public story uses,
made when the story goes public and deleted when the last such story stops being public
(services.public_media). Readers, or a CDN in front, get them at MEDIA_PUBLIC_BASE_URL + key;
only that prefix is readable by everyone (a bucket policy, or MEDIA_S3_PUBLIC_ACL).
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from flask import Response, abort

from editorial.config import MEDIA_STORE_SETTINGS
from editorial.storage.base import IMMUTABLE, Area, StoreUnavailable, mimetype_of

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes
COPY_THREADS = 8  # copies in flight at once (boto3 clients are thread-safe; its pool holds 10)
MISSING = {"404", "NoSuchKey", "NotFound"}


def settings_of(config: dict[str, Any]) -> dict[str, str]:
    """The MEDIA_S3_* settings, blanks dropped."""
    return {name: str(config[name]) for name in MEDIA_STORE_SETTINGS if config.get(name)}


class S3Store:
    public_copies = True

    def __init__(self, settings: dict[str, str], staging: Path) -> None:
        self.bucket = settings["MEDIA_S3_BUCKET"]
        self.public_bucket = settings.get("MEDIA_S3_PUBLIC_BUCKET", self.bucket)
        self.public_prefix = settings.get("MEDIA_S3_PUBLIC_PREFIX", "public/")
        self.public_acl = settings.get("MEDIA_S3_PUBLIC_ACL", "")
        endpoint = settings.get("MEDIA_S3_ENDPOINT_URL")
        region = settings.get("MEDIA_S3_REGION")
        self.public_base = settings.get("MEDIA_PUBLIC_BASE_URL") or (
            f"{endpoint.rstrip('/')}/{self.public_bucket}/{self.public_prefix}"
            if endpoint
            else f"https://{self.public_bucket}.s3.{region or 'us-east-1'}.amazonaws.com/"
            f"{self.public_prefix}"
        )
        self._staging = staging
        # Short timeouts and few retries: an upload waits seconds, not minutes, for a store
        # that is down, and is then refused with a message (nothing is half-stored).
        self.client: S3Client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint,
            region_name=region,
            config=Config(
                connect_timeout=3,
                read_timeout=20,
                retries={"max_attempts": 2, "mode": "standard"},
                s3={"addressing_style": "path"} if endpoint else {},
            ),
            # Unset: boto3's own chain (AWS_ACCESS_KEY_ID..., a profile, an instance role).
            aws_access_key_id=settings.get("MEDIA_S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=settings.get("MEDIA_S3_SECRET_ACCESS_KEY") or None,
        )

    def _object(self, area: Area, key: str) -> str:
        return f"{area}/{key}"

    def _failed(self, doing: str, error: Exception) -> StoreUnavailable:
        detail = error.response.get("Error", {}) if isinstance(error, ClientError) else {}
        reason = detail.get("Code") or type(error).__name__
        return StoreUnavailable(f"S3 bucket {self.bucket!r}: {doing} failed ({reason}): {error}")

    def staging_folder(self) -> Path:
        return self._staging

    def put_file(self, area: Area, key: str, staged: Path) -> None:
        try:
            self.client.upload_file(
                str(staged),
                self.bucket,
                self._object(area, key),
                ExtraArgs={"ContentType": mimetype_of(key)},
            )
        except (BotoCoreError, ClientError, S3UploadFailedError) as error:
            raise self._failed(f"storing {area}/{key}", error) from error
        finally:
            staged.unlink(missing_ok=True)

    def put(self, area: Area, key: str, content: bytes) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._object(area, key),
                Body=content,
                ContentType=mimetype_of(key),
                CacheControl=IMMUTABLE,
            )
        except (BotoCoreError, ClientError) as error:
            raise self._failed(f"storing {area}/{key}", error) from error

    def exists(self, area: Area, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._object(area, key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING:
                return False
            raise self._failed(f"looking up {area}/{key}", error) from error
        except BotoCoreError as error:
            raise self._failed(f"looking up {area}/{key}", error) from error
        return True

    @contextmanager
    def local_copy(self, area: Area, key: str) -> Iterator[Path]:
        self._staging.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self._staging, prefix=".download-") as folder:
            path = Path(folder) / key
            try:
                self.client.download_file(self.bucket, self._object(area, key), str(path))
            except (BotoCoreError, ClientError) as error:
                raise self._failed(f"reading {area}/{key}", error) from error
            yield path

    def delete(self, area: Area, key: str) -> None:
        self._delete(self.bucket, [self._object(area, key)])

    def _delete(self, bucket: str, names: list[str]) -> None:
        for start in range(0, len(names), DELETE_BATCH):
            batch = names[start : start + DELETE_BATCH]
            try:
                answer = self.client.delete_objects(
                    Bucket=bucket,
                    Delete={"Objects": [{"Key": name} for name in batch], "Quiet": True},
                )
            except (BotoCoreError, ClientError) as error:
                raise self._failed(f"deleting {len(batch)} objects", error) from error
            if errors := answer.get("Errors"):
                raise StoreUnavailable(f"S3 bucket {bucket!r}: could not delete {errors}")

    def send(self, area: Area, key: str, *, max_age: int | None = None) -> Response:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self._object(area, key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING:
                abort(404)
            log.warning("%s", self._failed(f"reading {area}/{key}", error))
            abort(503)
        except BotoCoreError as error:
            log.warning("%s", self._failed(f"reading {area}/{key}", error))
            abort(503)
        response = Response(found["Body"].read(), mimetype=mimetype_of(key))
        if max_age is not None:
            response.cache_control.max_age = max_age
        return response

    def publish(self, keys: Iterable[str]) -> None:
        # Server-side copies (the bytes never pass through here), several at once: one photo
        # is 15 or more objects, and each copy is a round trip to the store.
        wanted = list(keys)
        if not wanted:
            return
        with ThreadPoolExecutor(max_workers=min(COPY_THREADS, len(wanted))) as pool:
            for _ in pool.map(self._copy_public, wanted):  # the first failure is raised
                pass

    def _copy_public(self, key: str) -> None:
        extra = {"ACL": self.public_acl} if self.public_acl else {}
        try:
            self.client.copy_object(
                Bucket=self.public_bucket,
                Key=self.public_prefix + key,
                CopySource={"Bucket": self.bucket, "Key": self._object("renditions", key)},
                MetadataDirective="REPLACE",
                ContentType=mimetype_of(key),
                CacheControl=IMMUTABLE,
                **extra,  # type: ignore[arg-type]
            )
        except (BotoCoreError, ClientError) as error:
            raise self._failed(f"making {key} public", error) from error

    def unpublish(self, keys: Iterable[str]) -> None:
        self._delete(self.public_bucket, [self.public_prefix + key for key in keys])

    def public_keys(self) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.public_bucket, Prefix=self.public_prefix
        )
        try:
            for page in pages:
                for entry in page.get("Contents", []):
                    yield entry["Key"].removeprefix(self.public_prefix)
        except (BotoCoreError, ClientError) as error:
            raise self._failed("listing the public copies", error) from error

    def public_read_policy(self) -> str:
        """A bucket policy letting everyone read the public prefix, and nothing else."""
        statement = {
            "Sid": "EditorialPublicPhotos",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{self.public_bucket}/{self.public_prefix}*",
        }
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

    def setup(self) -> list[str]:
        """Create the bucket(s) if missing and let everyone read the public prefix (unless
        MEDIA_S3_PUBLIC_ACL grants that per object). What was done, in words."""
        done = []
        try:
            for bucket in dict.fromkeys([self.bucket, self.public_bucket]):
                try:
                    self.client.head_bucket(Bucket=bucket)
                except ClientError as error:
                    if error.response.get("Error", {}).get("Code") not in MISSING:
                        raise
                    region = self.client.meta.region_name
                    if region and region != "us-east-1":  # AWS wants the region said
                        self.client.create_bucket(
                            Bucket=bucket,
                            CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
                        )
                    else:
                        self.client.create_bucket(Bucket=bucket)
                    done.append(f"created bucket {bucket}")
            if not self.public_acl:
                self.client.put_bucket_policy(
                    Bucket=self.public_bucket, Policy=self.public_read_policy()
                )
                done.append(f"public read of {self.public_bucket}/{self.public_prefix}* only")
        except (BotoCoreError, ClientError) as error:
            raise self._failed("setting up", error) from error
        return done
