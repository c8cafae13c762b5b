"""How repositories move with time: downloads grow steadily, images (more slowly) appear.

Everything is a deterministic function of the time elapsed since the dataset's start, so two
simulators with the same data and clock answer the same, and values never go down.
"""

from __future__ import annotations

from dataclasses import dataclass

from exporter.simulator.data import Repository, Tag

# Evolution stops adding images after this many, so a long-running demo keeps small tag lists.
MAX_EVOLVED_IMAGES = 50


@dataclass(frozen=True)
class RepoState:
    """A repository's moving values at one instant; ``added`` images appeared since the start."""

    num_download: int
    num_images: int
    size: int
    updated: float
    added: int = 0

    def tag_names(self, repo: Repository) -> list[str]:
        return [tag.name for tag in repo.tags] + [f"build-{k}" for k in range(1, self.added + 1)]

    def tags(self, repo: Repository, start: float) -> list[Tag]:
        return [*repo.tags, *(_evolved_tag(repo, start, k) for k in range(1, self.added + 1))]


def repo_state(repo: Repository, start: float, now: float | None) -> RepoState:
    """Deterministic growth since ``start``; ``now=None`` means no evolution."""
    if now is None or now <= start:
        return RepoState(repo.num_download, repo.num_images, repo.size, repo.updated)
    added = images_added(repo, start, now)
    return RepoState(
        num_download=repo.num_download + int(repo.download_rate * (now - start)),
        num_images=repo.num_images + added,
        size=repo.size + added * repo.image_size,
        updated=evolved_updated(repo, start, now),
        added=added,
    )


def images_added(repo: Repository, start: float, now: float | None) -> int:
    if now is None or now <= start or not repo.image_interval:
        return 0
    return min(int((now - start) // repo.image_interval), MAX_EVOLVED_IMAGES)


def evolved_updated(repo: Repository, start: float, now: float | None) -> float:
    """The update time alone, cheap enough to sort 50,000 repositories by."""
    added = images_added(repo, start, now)
    if not added:
        return repo.updated
    return max(repo.updated, start + added * (repo.image_interval or 0.0))


def _evolved_tag(repo: Repository, start: float, k: int) -> Tag:
    at = start + k * (repo.image_interval or 0.0)
    digest = "sha256:" + f"{repo.id:016x}{k:016x}" * 2
    return Tag(f"build-{k}", 1_000_000_000 + repo.id * 1000 + k, repo.image_size, digest, digest[7:], at, at)
