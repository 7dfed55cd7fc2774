"""``push_artifact`` against a recording fake repository: blobs the registry has are skipped, the
manifest goes last, and a manifest refused with a non-authentication client error raises
``ManifestRejected`` (the signal ``publish`` falls back to the OCI 1.0 shape on)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from runtime.images.reference import parse
from runtime.registry.artifact import ManifestRejected, digest_of, push_artifact
from runtime.registry.errors import RegistryError


@dataclass
class Reply:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""

    def json(self) -> object:
        return {}


class FakeRepo:
    def __init__(self, have: set[str], manifest_status: int) -> None:
        self.have, self.manifest_status, self.calls = have, manifest_status, []

    def request(self, method: str, path: str, **kw: object) -> Reply:
        self.calls.append((method, path.split("?")[0]))
        if method == "HEAD":
            return Reply(200 if path.removeprefix("blobs/") in self.have else 404)
        if method == "POST":
            return Reply(202, {"Location": "/v2/x/blobs/uploads/1"})
        if path.startswith("manifests/"):
            return Reply(self.manifest_status, {"Docker-Content-Digest": "sha256:" + "a" * 64})
        return Reply(201)


class FakeClient:
    def __init__(self, repo: FakeRepo) -> None:
        self.repo = repo

    def repository(self, ref: object) -> FakeRepo:
        return self.repo


def test_existing_blobs_are_skipped_and_the_manifest_is_last() -> None:
    repo = FakeRepo({digest_of(b"{}")}, 201)
    result = push_artifact(FakeClient(repo), parse("127.0.0.1:5000/a/b:1"), [b"{}", b"layer"], b"{m}", "x")
    assert result.tag == "1" and result.digest == "sha256:" + "a" * 64
    assert repo.calls == [("HEAD", f"blobs/{digest_of(b'{}')}"), ("HEAD", f"blobs/{digest_of(b'layer')}"),
                          ("POST", "blobs/uploads/"), ("PUT", "/v2/x/blobs/uploads/1"), ("PUT", "manifests/1")]


@pytest.mark.parametrize("status, rejected", [(400, True), (415, True), (401, False), (403, False), (500, False)])
def test_manifest_refusals(status: int, rejected: bool) -> None:
    repo = FakeRepo(set(), status)
    with pytest.raises(RegistryError) as caught:
        push_artifact(FakeClient(repo), parse("127.0.0.1:5000/a/b:1"), [b"{}"], b"{m}", "x")
    assert isinstance(caught.value, ManifestRejected) is rejected
