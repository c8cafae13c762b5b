"""The metric catalogue (DESIGN.md section 5): every name, type, help text and label set, declared once.

The README's metric table is checked against this module by a test, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.core import HistogramMetricFamily

from exporter.compact import CompactFamily

# Re-exported: collectors fill their families with these, beside the specs.
from exporter.metrics.values import add as add
from exporter.metrics.values import flag as flag
from exporter.metrics.values import record_families as record_families
from exporter.metrics.values import valued_families as valued_families

CACHED = (" Refreshed every poll interval (or the collector's own interval) from the SWR API,"
          " not at scrape time.")


@dataclass(frozen=True)
class MetricSpec:
    name: str
    type: str  # "gauge" | "counter" | "histogram"
    help: str
    labels: tuple[str, ...] = ()

    def gauge(self) -> CompactFamily:
        """An empty family of this metric; the constructors check the declared type, so a counter
        cannot be emitted as a gauge by mistake. Compact: rows of label values, no Sample objects."""
        self._expect("gauge")
        return CompactFamily(self.name, self.help, "gauge", self.labels)

    def counter(self) -> CompactFamily:
        self._expect("counter")
        return CompactFamily(self.name, self.help, "counter", self.labels)

    def histogram(self) -> HistogramMetricFamily:
        self._expect("histogram")
        return HistogramMetricFamily(self.name, self.help, labels=self.labels)

    def _expect(self, kind: str) -> None:
        if self.type != kind:
            raise TypeError(f"{self.name} is declared a {self.type}, not a {kind}")


REPO = ("organization", "repository")
SHARED = ("direction", "owner_account", "organization", "repository")

REPOSITORY_INFO = MetricSpec(
    "swr_repository_info", "gauge", "Repository metadata, value always 1." + CACHED, (*REPO, "category")
)
REPOSITORY_SIZE = MetricSpec(
    "swr_repository_size_bytes", "gauge", "Total size of the repository's images in bytes." + CACHED, REPO
)
REPOSITORY_IMAGES = MetricSpec(
    "swr_repository_images", "gauge", "Number of images (tags) in the repository." + CACHED, REPO
)
REPOSITORY_DOWNLOADS = MetricSpec(
    "swr_repository_downloads_total",
    "counter",
    "Image downloads of the repository, as counted by SWR." + CACHED,
    REPO,
)
REPOSITORY_PUBLIC = MetricSpec(
    "swr_repository_public", "gauge", "1 if the repository is public, 0 if private." + CACHED, REPO
)
REPOSITORY_CREATED = MetricSpec(
    "swr_repository_created_timestamp_seconds",
    "gauge",
    "When the repository was created, Unix time." + CACHED,
    REPO,
)
REPOSITORY_UPDATED = MetricSpec(
    "swr_repository_updated_timestamp_seconds",
    "gauge",
    "When the repository was last updated (last push), Unix time." + CACHED,
    REPO,
)
ORGANIZATION_INFO = MetricSpec(
    "swr_organization_info",
    "gauge",
    "Organization (SWR namespace) visible to the exporter's credentials, with their access level; value 1."
    + CACHED,
    ("organization", "access"),
)
SHARED_REPOSITORIES = MetricSpec(
    "swr_shared_repositories",
    "gauge",
    "Number of shared repositories: direction=self shared by this account, thirdparty shared with it."
    + CACHED,
    ("direction",),
)
SHARED_REPOSITORY_INFO = MetricSpec(
    "swr_shared_repository_info",
    "gauge",
    "Shared repository metadata, value always 1." + CACHED,
    (*SHARED, "category"),
)
SHARED_REPOSITORY_VALID = MetricSpec(
    "swr_shared_repository_valid",
    "gauge",
    "1 while a repository shared with this account (direction=thirdparty) has not expired, else 0." + CACHED,
    SHARED,
)
SHARED_REPOSITORY_SIZE = MetricSpec(
    "swr_shared_repository_size_bytes",
    "gauge",
    "Total size of the shared repository in bytes." + CACHED,
    SHARED,
)
SHARED_REPOSITORY_IMAGES = MetricSpec(
    "swr_shared_repository_images", "gauge", "Number of images in the shared repository." + CACHED, SHARED
)
REPOSITORY_SHARES = MetricSpec(
    "swr_repository_shares",
    "gauge",
    "Number of accounts a repository of this account is shared with (access domains); a lower bound "
    "when swr_repository_shares_truncated is 1." + CACHED,
    REPO,
)
REPOSITORY_SHARES_TRUNCATED = MetricSpec(
    "swr_repository_shares_truncated",
    "gauge",
    "1 when SWR answered the access-domains list with its cap of 100 entries (it has no paging, and a "
    "repository can be shared with up to 500 accounts), so swr_repository_shares is a lower bound; "
    "else 0." + CACHED,
    REPO,
)
REPOSITORY_SHARE_VALID = MetricSpec(
    "swr_repository_share_valid",
    "gauge",
    "1 while the share of a repository with an account is valid, 0 once it has expired." + CACHED,
    (*REPO, "shared_with", "permit"),
)
REPOSITORY_SHARE_EXPIRY = MetricSpec(
    "swr_repository_share_expiry_timestamp_seconds",
    "gauge",
    "When the share of a repository with an account expires, Unix time; absent for shares without end."
    + CACHED,
    (*REPO, "shared_with"),
)
IMAGE_SIZE = MetricSpec(
    "swr_image_size_bytes", "gauge", "Size of the image (tag) in bytes." + CACHED, (*REPO, "tag")
)
IMAGE_UPDATED = MetricSpec(
    "swr_image_updated_timestamp_seconds",
    "gauge",
    "When the image (tag) was last updated (pushed), Unix time." + CACHED,
    (*REPO, "tag"),
)
QUOTA_LIMIT = MetricSpec("swr_quota_limit", "gauge", "SWR quota limit of the account." + CACHED, ("quota",))
QUOTA_USED = MetricSpec("swr_quota_used", "gauge", "SWR quota used by the account." + CACHED, ("quota",))
ACCOUNT_ORGANIZATIONS = MetricSpec(
    "swr_account_organizations", "gauge",
    "Organizations in the account, as SWR's overview counts them, whatever the filter." + CACHED,
)
ACCOUNT_REPOSITORIES = MetricSpec(
    "swr_account_repositories", "gauge",
    "Repositories in the account, as SWR's overview counts them, whatever the filter." + CACHED,
)
ACCOUNT_IMAGES = MetricSpec(
    "swr_account_images", "gauge", "Images in the account, as SWR's overview counts them." + CACHED,
)
ACCOUNT_STORAGE = MetricSpec(
    "swr_account_storage_bytes", "gauge", "Storage the account uses in SWR, in bytes (overview store_space)."
    + CACHED,
)
ACCOUNT_DOWNLOAD_TRAFFIC = MetricSpec(
    "swr_account_download_traffic_bytes", "gauge",
    "Download traffic of the account, in bytes, as SWR's overview reports it (downflow_size)." + CACHED,
)

UP = MetricSpec("swr_up", "gauge", "1 if the last poll of the SWR API fully succeeded, else 0.")
BUILD_INFO = MetricSpec(
    "swr_exporter_build_info",
    "gauge",
    "Exporter build information, value always 1.",
    ("version", "python_version"),
)
LAST_POLL_SUCCESS = MetricSpec(
    "swr_exporter_last_poll_success_timestamp_seconds",
    "gauge",
    "When the last fully successful poll finished, Unix time.",
)
LAST_POLL_DURATION = MetricSpec(
    "swr_exporter_last_poll_duration_seconds", "gauge", "How long the last poll of the SWR API took."
)
POLLS = MetricSpec("swr_exporter_polls_total", "counter", "Polls of the SWR API completed.")
POLL_FAILURES = MetricSpec(
    "swr_exporter_poll_failures_total", "counter", "Polls in which at least one collector failed."
)
COLLECTOR_SUCCESS = MetricSpec(
    "swr_exporter_collector_success",
    "gauge",
    "1 if the collector's last run succeeded, else 0.",
    ("collector",),
)
COLLECTOR_DURATION = MetricSpec(
    "swr_exporter_collector_duration_seconds",
    "gauge",
    "How long the collector's last run took.",
    ("collector",),
)
API_REQUESTS = MetricSpec(
    "swr_exporter_api_requests_total",
    "counter",
    "HTTP requests made to the SWR and IAM APIs, retries included; code is the status or 'error'.",
    ("operation", "code"),
)
API_ERRORS = MetricSpec(
    "swr_exporter_api_errors_total",
    "counter",
    "Failed API requests by reason, retries included.",
    ("operation", "reason"),
)
API_DURATION = MetricSpec(
    "swr_exporter_api_request_duration_seconds",
    "histogram",
    "Duration of API requests, each attempt.",
    ("operation",),
)
API_RETRIES = MetricSpec("swr_exporter_api_retries_total", "counter", "API request retries.", ("operation",))
CREDENTIALS_EXPIRY = MetricSpec(
    "swr_exporter_credentials_expiry_timestamp_seconds",
    "gauge",
    "When the temporary credentials or IAM token in use expire, Unix time; absent for a permanent AK/SK "
    "and for credentials whose expiry is not known (files).",
)
SERIES_DROPPED = MetricSpec(
    "swr_exporter_series_dropped",
    "gauge",
    "Data series left out of the latest snapshot: reason=filter for organizations outside the "
    "organization filter or shard (one organization_info series each), reason=cap beyond max_series.",
    ("reason",),
)

CONFIG_RELOAD_SUCCESSFUL = MetricSpec(
    "swr_exporter_config_last_reload_successful",
    "gauge",
    "1 if the last configuration reload (start-up, SIGHUP or POST /-/reload) took, 0 if it was refused.",
)
CONFIG_RELOAD_SUCCESS_TIME = MetricSpec(
    "swr_exporter_config_last_reload_success_timestamp_seconds",
    "gauge",
    "When the configuration was last loaded successfully, at start-up or by a reload, Unix time.",
)
# The Enterprise Edition's table; imported here, after MetricSpec, so CATALOGUE below holds it too.
from exporter.metrics.enterprise import *  # noqa: E402, F403

API_DURATION_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

CATALOGUE: tuple[MetricSpec, ...] = tuple(
    value for value in globals().values() if isinstance(value, MetricSpec)
)
