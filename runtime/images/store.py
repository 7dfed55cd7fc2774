"""The image store facade: content, layers, records, references, root filesystems.

Locks (under ``<run>/locks/``): ``images`` (exclusive, short) around every change of the
record and reference tables; ``images-gc`` shared by whoever adds content or prepares a
root filesystem, exclusive for garbage collection, so a sweep never removes what a
running load wrote but has not yet recorded. Order: ``images-gc`` before ``images``.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from runtime.errors import PyComposeError
from runtime.images import gc
from runtime.images.config import ImageConfig, parse_config
from runtime.images.content import ContentStore, IngestSession, remove_dead_sessions
from runtime.images.errors import DigestMismatch, ImageError, ImageInUse, ImageNotFound
from runtime.images.layers import LayerStats, remove_tree, unpack
from runtime.images.manifest import Index, Manifest, Platform, host_platform, parse_document
from runtime.images.records import ImageRecord, LayerCache, RecordTable, RefEntry
from runtime.images.reference import Reference, is_digest, parse
from runtime.images.rootfs import RootfsManager, RootfsRecord
from runtime.linux.syncfs import syncfs
from runtime.state import StateRoot, remove_stale_temps

_HEX_PREFIX = re.compile(r"[0-9a-f]{1,64}\Z")
Progress = Callable[[str, int, int], None]


def now_rfc3339() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1e9):09d}Z"


class _Counting(io.RawIOBase):
    """Reports how much of a blob has been read."""

    def __init__(self, raw: BinaryIO, total: int, progress: Callable[[int, int], None]) -> None:
        self.raw, self.total, self.progress, self.done, self._next = raw, total, progress, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:  # type: ignore[no-untyped-def]
        n = self.raw.readinto(buf)  # type: ignore[attr-defined]
        self.done += n
        if self.done >= self._next or n == 0:
            self.progress(self.done, self.total)
            self._next = self.done + (4 << 20)
        return n


@dataclass(frozen=True)
class Removal:
    """One line of ``image rm``/``prune`` output: ``Untagged: x`` or ``Deleted: sha256:…``."""

    action: str
    subject: str


class ImageStore:
    def __init__(self, state: StateRoot) -> None:
        self.state = state
        self.root = state.root / "images"
        self.content = ContentStore(self.root)
        self.records = RecordTable(self.root)
        self.layers = LayerCache(self.root)
        self.rootfs = RootfsManager(self.root, state.run, self.root / "empty")
        self.ingest_root = self.root / "ingest"
        self._opened = False

    # -- opening, locks, sessions -----------------------------------------------------

    def open(self) -> ImageStore:
        """Create the layout and finish what a killed process left half-done."""
        if self._opened:
            return self
        self.state.ensure()
        for path in (self.root, self.ingest_root, self.root / "empty", self.records.dir):
            path.mkdir(mode=0o700 if path == self.root else 0o755, parents=True, exist_ok=True)
        remove_dead_sessions(self.ingest_root, self.state)
        with self.meta_lock():  # writers of records and refs.json hold it while their temp exists
            remove_stale_temps(self.records.dir)
            remove_stale_temps(self.root)
        self._opened = True
        return self

    def meta_lock(self):  # -> FileLock
        return self.state.lock("images")

    def gc_lock(self, *, shared: bool):  # -> FileLock
        return self.state.lock("images-gc", shared=shared)

    @contextlib.contextmanager
    def session(self) -> Iterator[IngestSession]:
        """Scratch space for adding content; holds the GC lock shared while open."""
        self.open()
        with self.gc_lock(shared=True), IngestSession(self.ingest_root, self.state) as session:
            yield session

    # -- adding content ---------------------------------------------------------------

    def put_bytes(self, session: IngestSession, data: bytes, expected: str | None = None) -> str:
        return self.content.write(session, data, expected).digest

    def put_stream(self, session: IngestSession, stream: BinaryIO, expected: str | None = None,
                   size: int | None = None) -> str:
        return self.content.ingest(session, stream, expected, size).digest

    def unpack_blob(self, session: IngestSession, blob: str, diff_id: str | None, what: str,
                    progress: Callable[[int, int], None] | None = None) -> LayerStats:
        """Unpack the layer blob ``blob`` into the layer cache (once per diff ID)."""
        if diff_id is not None and self.layers.has(diff_id):
            return LayerStats(diff_id, self.layers.info(diff_id).size)
        staged = session.temp_path("layer")
        try:
            (staged / "diff").mkdir(mode=0o755, parents=True)
            with self.content.open(blob) as f:
                source: BinaryIO = f
                if progress is not None:
                    source = io.BufferedReader(_Counting(f, self.content.size(blob), progress), 1 << 20)
                stats = unpack(source, staged / "diff", what)
            if diff_id is not None and stats.diff_id != diff_id:
                raise DigestMismatch(f"{what}: content has diff ID {stats.diff_id}, "
                                     f"the image config says {diff_id}")
            if not self.layers.has(stats.diff_id):
                syncfs(staged)
                self.layers.commit(staged, stats.diff_id, stats.size)
            return stats
        finally:
            remove_tree(staged)

    def register(self, manifest_digest: str, names: list[Reference], target: str | None = None) -> ImageRecord:
        """Record the image of a manifest whose blobs and layers are all in place; tag it."""
        manifest = self.manifest(manifest_digest)
        config = parse_config(self.content.read(manifest.config.digest), manifest.config.digest)
        if len(config.diff_ids) != len(manifest.layers):
            raise ImageError(f"image {manifest.config.digest}: {len(manifest.layers)} layers but "
                             f"{len(config.diff_ids)} diff IDs")
        for diff_id in config.diff_ids:
            if not self.layers.has(diff_id):
                raise ImageError(f"image {manifest.config.digest}: layer {diff_id} is not unpacked")
        size = sum(self.layers.info(d).size for d in config.diff_ids)
        when = now_rfc3339()
        with self.meta_lock():
            old = self.records.get(manifest.config.digest)
            record = ImageRecord(
                id=manifest.config.digest, manifest=manifest_digest, layers=config.diff_ids,
                platform=config.platform, size=size, created=config.created,
                loaded_at=old.loaded_at if old else when,
                last_tag_time=when if names else (old.last_tag_time if old else ""),
            )
            self.records.put(record)
            if names:
                refs = self.records.refs()
                for name in names:
                    refs[str(name)] = RefEntry(target or manifest_digest, record.id)
                self.records.put_refs(refs)
        return record

    # -- reading ----------------------------------------------------------------------

    def document(self, digest: str) -> Manifest | Index:
        return parse_document(self.content.read(digest), digest)

    def manifest(self, digest: str) -> Manifest:
        doc = self.document(digest)
        if not isinstance(doc, Manifest):
            raise ImageError(f"{digest} is an index, not an image manifest")
        return doc

    def config(self, record: ImageRecord) -> ImageConfig:
        return parse_config(self.content.read(record.id), record.id)

    def config_of(self, manifest: Manifest) -> ImageConfig:
        return parse_config(self.content.read(manifest.config.digest), manifest.config.digest)

    def list(self) -> list[ImageRecord]:
        self.open()
        return sorted(self.records.all(), key=lambda r: (r.created, r.id), reverse=True)

    def refs_of(self, image_id: str) -> list[tuple[Reference, RefEntry]]:
        found = [(parse(n), e) for n, e in self.records.refs().items() if e.image == image_id]
        return sorted(found, key=lambda item: str(item[0]))

    def tags_of(self, image_id: str) -> list[Reference]:
        return [r for r, _e in self.refs_of(image_id) if r.tag is not None]

    def repo_digests(self, image_id: str) -> list[Reference]:
        out: set[Reference] = set()
        for ref, entry in self.refs_of(image_id):
            out.add(Reference(ref.domain, ref.path, None, entry.target))
        return sorted(out, key=str)

    def users(self, image_id: str) -> list[str]:
        return sorted(r.container_id for r in self.rootfs.records() if r.image == image_id)

    def resolve(self, text: str, platform: Platform | str | None = None) -> ImageRecord:
        """The image named by a reference, a digest reference, or an ID (or ID prefix)."""
        self.open()
        wanted = Platform.parse(platform) if isinstance(platform, str) else platform
        if is_digest(text):
            record = self.records.get(text)
            if record is None:
                raise ImageNotFound(f"No such image: {text}")
            return record
        try:
            ref = parse(text)
        except ImageError:
            ref = None
        if ref is not None:
            record = self._resolve_ref(ref, wanted, text)
            if record is not None:
                return record
        if _HEX_PREFIX.match(text):
            matches = [r for r in self.records.all() if r.id[7:].startswith(text)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise ImageError(f"image ID prefix {text!r} is ambiguous")
        if ref is None:
            parse(text)  # raises the reference error
        raise ImageNotFound(f"No such image: {text}")

    def _resolve_ref(self, ref: Reference, wanted: Platform | None, text: str) -> ImageRecord | None:
        if ref.digest is not None:
            digest = ref.digest
        else:
            entry = self.records.refs().get(str(ref))
            if entry is None:
                return None
            if wanted is None:
                return self.records.get(entry.image)
            digest = entry.target
        if not self.content.has(digest):
            record = self.records.get(digest)
            return record
        doc = self.document(digest)
        if isinstance(doc, Index):
            child = doc.choose(wanted or host_platform())
            doc = self.manifest(child.digest) if self.content.has(child.digest) else None
            if doc is None:
                raise ImageNotFound(f"image {text} has no {wanted or host_platform()} variant in the store")
        record = self.records.get(doc.config.digest)
        if record is None:
            return None
        if wanted is not None and not wanted.matches(record.platform):
            raise ImageError(f"image with reference {text} was found but does not match the specified "
                             f"platform: wanted {wanted}, actual: {record.platform}")
        return record

    # -- changing names ---------------------------------------------------------------

    def tag(self, source: str, target: str) -> Reference:
        from runtime.images.reference import parse_tag

        record = self.resolve(source)
        name = parse_tag(target)
        with self.meta_lock():
            refs = self.records.refs()
            refs[str(name)] = RefEntry(record.manifest, record.id)
            self.records.put_refs(refs)
            current = self.records.get(record.id)
            if current is not None:
                self.records.put(current.tagged(now_rfc3339()))
        return name

    def remove(self, names: list[str], *, force: bool = False) -> tuple[list[Removal], list[PyComposeError]]:
        """``image rm``: untag, and delete images left without a name and a container.

        Returns what was done and, per name that could not be removed, the error (the
        others are still removed, as ``docker image rm`` does).
        """
        self.open()
        out: list[Removal] = []
        errors: list[PyComposeError] = []
        with self.gc_lock(shared=False):
            for text in names:
                try:
                    out.extend(self._remove_one(text, force))
                except PyComposeError as exc:
                    errors.append(exc)
            self._collect()
        return out, errors

    def _remove_one(self, text: str, force: bool) -> list[Removal]:
        record = self.resolve(text)
        out: list[Removal] = []
        with self.meta_lock():
            refs = self.records.refs()
            mine = {n: e for n, e in refs.items() if e.image == record.id}
            by_name = False
            with contextlib.suppress(ImageError):
                ref = parse(text)
                by_name = str(ref) in mine or ref.digest is not None
            users = self.users(record.id)
            if by_name and len(mine) > 1:
                key = str(parse(text))
                if key in mine:
                    del refs[key]
                    self.records.put_refs(refs)
                    return [Removal("Untagged", parse(text).familiar())]
            if len(mine) > 1 and not force and not by_name:
                raise ImageInUse(f"conflict: unable to delete {record.short_id} (must be forced) - "
                                 f"image is referenced in multiple repositories")
            if users and not force:
                what = f'repository reference "{text}"' if by_name else record.short_id
                raise ImageInUse(f"conflict: unable to remove {what} (must force) - container "
                                 f"{users[0][:12]} is using its referenced image {record.short_id}")
            for name in sorted(mine):
                del refs[name]
                out.append(Removal("Untagged", parse(name).familiar()))
            self.records.put_refs(refs)
            if not users:
                self.records.delete(record.id)
                out.append(Removal("Deleted", record.id))
        return out

    def prune(self, *, all_images: bool = False,
              keep: Callable[[ImageRecord], bool] | None = None) -> tuple[list[Removal], int]:
        """Delete dangling (or, with ``all_images``, all unused) images, then collect."""
        self.open()
        out: list[Removal] = []
        with self.gc_lock(shared=False):
            with self.meta_lock():
                refs = self.records.refs()
                used = {r.image for r in self.rootfs.records()}
                named = {e.image for e in refs.values()}
                for record in self.records.all():
                    if record.id in used or (record.id in named and not all_images):
                        continue
                    if keep is not None and keep(record):
                        continue
                    for name in sorted(n for n, e in refs.items() if e.image == record.id):
                        del refs[name]
                        out.append(Removal("untagged", parse(name).familiar()))
                    self.records.delete(record.id)
                    out.append(Removal("deleted", record.id))
                self.records.put_refs(refs)
            sweep = self._collect()
        return out, sweep.reclaimed

    def collect(self) -> gc.Sweep:
        self.open()
        with self.gc_lock(shared=False):
            return self._collect()

    def _collect(self) -> gc.Sweep:
        with self.meta_lock():
            return gc.collect(self.content, self.records, self.layers, self.rootfs)

    # -- root filesystems -------------------------------------------------------------

    def prepare_rootfs(self, image_id: str, container_id: str, read_only: bool = False) -> Path:
        self.open()
        with self.gc_lock(shared=True):
            record = self.records.get(image_id) if is_digest(image_id) else self.resolve(image_id)
            if record is None:
                raise ImageNotFound(f"No such image: {image_id}")
            with self.meta_lock():
                fs = self.rootfs.create(container_id, record.id, record.layers, read_only)
            return self.rootfs.mount(fs, [self.layers.diff(d) for d in fs.layers], read_only)

    def unmount_rootfs(self, container_id: str) -> None:
        self.rootfs.unmount(container_id)

    def release_rootfs(self, container_id: str) -> None:
        """Unmount and free a removed container's upper dir. Only dropping the record (a root
        of garbage collection) needs the store's lock: unmounting and deleting the files do
        not, so that many containers removed at once are not serialised on it."""
        self.rootfs.release(container_id, locked=self.meta_lock)

    def rootfs_record(self, container_id: str) -> RootfsRecord | None:
        return self.rootfs.record(container_id)
