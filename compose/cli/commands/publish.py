"""``pycompose publish REPOSITORY[:TAG]``: the compose application as an OCI artifact.

As ``docker compose publish``: the checks first (a service with only a build section refuses;
bind mounts, credential-like values and environment variables ask, ``-y`` answers yes, and
without a terminal an unanswered question refuses), then the images of the services that build
and name theirs are pushed as ``push`` pushes them (a failure only warned about), then one layer
per compose file and the files they extend, env files with ``--with-env``, an
``image-digests.yaml`` override with ``--resolve-image-digests``, and an OCI 1.1 manifest
(``artifactType`` ``application/vnd.docker.compose.project``), or the 1.0 shape when asked or
when the registry refuses 1.1 with a client error; with ``--app`` the images too, copied into the artifact's
repository, and an index of them whose subject is the artifact.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repository", metavar="REPOSITORY[:TAG]")
    parser.add_argument("--oci-version", choices=("1.0", "1.1"), default=None,
                        help="OCI image/artifact specification version (automatically determined by default)")
    parser.add_argument("--resolve-image-digests", action="store_true",
                        help="Pin image tags to digests")
    parser.add_argument("--with-env", action="store_true", help="Include environment variables in the published "
                                                                "OCI artifact")
    parser.add_argument("-y", "--yes", action="store_true", help="Assume \"yes\" as answer to all prompts")
    parser.add_argument("--app", action="store_true", help="Published compose application (includes referenced "
                                                           "images)")
    parser.add_argument("--insecure-registry", action="store_true",
                        help="Use insecure registry (loopback registries are always reached over plain HTTP)")


def _confirm(assume_yes: bool) -> Any:
    from compose.errors import UsageError
    from compose.publish import one_line

    def confirm(question: str) -> bool:
        if assume_yes:
            return True
        if not sys.stdin.isatty():
            raise UsageError(one_line(question.rpartition("\n")[0]) + " (no terminal to confirm: -y publishes "
                                                                      "anyway)")
        sys.stderr.write(question + " [y/N] ")
        sys.stderr.flush()
        return sys.stdin.readline().strip().lower() in ("y", "yes")

    return confirm


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose import publish
    from compose.errors import UsageError
    from compose.reconcile.session import load_session
    from runtime.api.push import ManifestRejected, pinned, push_artifact

    if "@" in args.repository:
        raise UsageError(f"invalid reference {args.repository!r}: publish takes REPOSITORY[:TAG], not a digest")
    import dataclasses

    session = load_session(dataclasses.replace(opts, profiles=(*opts.profiles, "*")))  # every service, as Docker
    project = session.project
    if "-" in opts.files:
        raise UsageError("publish needs compose files on disk, not standard input")
    if not publish.pre_checks(project, session.config_files, session.working_dir, with_env=args.with_env,
                              confirm=_confirm(args.yes)):
        return 0
    if not opts.dry_run:
        from compose.cli.commands.push import push_services

        # as Docker Compose: the images the project builds go to their registries first (before
        # their digests are pinned), a failure only warned about
        push_services(project, sorted(project.services), quiet=False, ignore_failures=True, out=sys.stderr)
    digests = None
    if args.resolve_image_digests:
        digests = {name: pinned(project.services[name].image)
                   for name in sorted(project.services) if project.services[name].image}
    layers = publish.layers(session.config_files, session.working_dir, with_env=args.with_env,
                            image_digests=digests)
    if opts.dry_run:
        print(f"DRY-RUN MODE - {args.repository} publishing ({len(layers)} layers)")
        return 0
    print(f"{args.repository} publishing", file=sys.stderr, flush=True)
    version = args.oci_version or "1.1"
    body, blobs = publish.manifest(layers, version)
    try:
        result = push_artifact(args.repository, blobs, body, publish.MANIFEST_MEDIA_TYPE)
    except ManifestRejected:
        if args.oci_version:
            raise
        version = "1.0"
        body, blobs = publish.manifest(layers, version)  # a registry without OCI 1.1 support
        result = push_artifact(args.repository, blobs, body, publish.MANIFEST_MEDIA_TYPE)
    if args.app:
        _push_app(project, args.repository, result, version)
    print(f"{args.repository} published ({result.digest})", file=sys.stderr, flush=True)
    return 0


def _push_app(project: Any, repository: str, artifact: Any, version: str) -> None:
    """``--app``: every service's image into the artifact's repository (by digest, pulled first
    when the store lacks it), then an index of them whose subject is the artifact."""
    from compose import publish
    from runtime.api.push import manifest_media_type, push, push_artifact
    from runtime.api.registry import Registry
    from runtime.errors import NotFound
    from runtime.images.reference import parse

    target = parse(repository)
    bare = f"{target.domain}/{target.path}"
    images = []
    for name in sorted(project.services):
        image = project.services[name].image
        if not image:
            continue
        try:
            media_type = manifest_media_type(image)
        except NotFound:
            with Registry() as registry:
                registry.pull(image)
            media_type = manifest_media_type(image)
        pushed = push(bare, source=image)
        images.append({"mediaType": media_type or publish.MANIFEST_MEDIA_TYPE, "digest": pushed.digest,
                       "size": pushed.size})
    subject = {"mediaType": publish.MANIFEST_MEDIA_TYPE, "digest": artifact.digest, "size": artifact.size}
    if version == "1.1":
        subject["artifactType"] = publish.ARTIFACT_TYPE
    body = publish.app_index(images, subject)
    push_artifact(f"{bare}@{publish.digest_of(body)}", [], body, publish.INDEX_MEDIA_TYPE)
