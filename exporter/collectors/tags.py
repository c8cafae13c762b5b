"""Collector ``tags``: size and push time of every tag (image) of every watched repository.

``GET /v2/manage/namespaces/{ns}/repos/{repo}/tags`` (ListRepositoryTags), one paged listing per
repository, in parallel; off by default and hourly when on. Per-tag series are what can explode, so they
get the ``max_series`` budget last::

    # HELP swr_image_size_bytes Size of the image (tag) in bytes ...
    # TYPE swr_image_size_bytes gauge
    swr_image_size_bytes{organization="group",repository="busybox",tag="latest"} 2099575.0
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from operator import attrgetter

from prometheus_client.core import Metric

from exporter import metrics
from exporter.collectors import repositories
from exporter.collectors.fields import Item
from exporter.collectors.spec import CollectorSpec, FetchContext, Unavailable
from exporter.swr.errors import ApiError

OPERATION = "ListRepositoryTags"


@dataclass(frozen=True, slots=True)
class Image:
    """One tag of a repository."""

    organization: str
    repository: str
    tag: str
    size_bytes: int | None
    updated: float | None

    @property
    def series(self) -> int:
        return (self.size_bytes is not None) + (self.updated is not None)


def parse_tags(operation: str, organization: str, repository: str, items: Sequence[object]) -> list[Image]:
    """The v2 list names the tag ``Tag``, with a capital T."""
    images = []
    for index, obj in enumerate(items):
        item = Item(operation, f"item {index}", obj)
        images.append(
            Image(organization, repository, item.name("Tag"), item.integer("size"), item.timestamp("updated"))
        )
    return images


def fetch(ctx: FetchContext) -> tuple[Image, ...]:
    client = ctx.client
    repos = ctx.earlier.get(repositories.SPEC)
    if repos is None:
        raise Unavailable("the repository list is unavailable, so the tags cannot be listed")
    keys = [(repo.organization, repo.name) for repo in repos]
    answers = client.map(lambda key: client.list_repository_tags(*key), keys)
    images: list[Image] = []
    for (organization, repository), answer in zip(keys, answers, strict=True):
        if isinstance(answer, ApiError):
            if answer.reason == "not_found":  # deleted since the repository list was made
                continue
            raise answer
        parsed = client.decode(OPERATION, partial(parse_tags, OPERATION, organization, repository, answer))
        # Offset paging while someone pushes can repeat a tag across a page boundary; one series each.
        unique: dict[str, Image] = {}
        for image in parsed:
            unique.setdefault(image.tag, image)
        images.extend(unique.values())
    return tuple(images)


def families(_: tuple[Image, ...], kept: Sequence[Image]) -> Iterator[Metric]:
    yield from metrics.record_families((metrics.IMAGE_SIZE, metrics.IMAGE_UPDATED), kept, _LABELS,
                                       (attrgetter("size_bytes"), attrgetter("updated")))


_LABELS = attrgetter("organization", "repository", "tag")


SPEC: CollectorSpec[tuple[Image, ...], Image] = CollectorSpec(
    name="tags",
    phase=2,
    scope="organization",
    fetch=fetch,
    families=families,
    records=lambda images: images,
    cost=lambda image: image.series,
    default_enabled=False,
    default_interval=3600.0,
    explosive=True,
)
