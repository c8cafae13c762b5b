"""The published signing vectors, computed by huaweicloudsdkcore's own Signer (swr-api.md section 6)."""

from __future__ import annotations

from datetime import UTC, datetime

PROJECT = "0123456789abcdef0123456789abcdef"
SIGNED = (
    "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK1234567, SignedHeaders=content-type;host;x-project-id;x-sdk-date"
)
VECTORS: dict = {
    "common": {
        "ak": "HPUAEXAMPLEAK1234567",
        "sk": "ExampleSecretKey0123456789abcdefghijklmnop",
        "project_id": PROJECT,
        "x_sdk_date": "20240102T030405Z",
        "host": "swr-api.cn-north-4.myhuaweicloud.com",
        "headers": {
            "Content-Type": "application/json",
            "X-Project-Id": PROJECT,
            "X-Sdk-Date": "20240102T030405Z",
        },
    },
    "vectors": [
        {
            "name": "GET ShowRepository, no query, no body",
            "method": "GET",
            "path": "/v2/manage/namespaces/group/repos/busybox",
            "query": [],
            "body": "",
            "canonical_request_sha256": "7567d6a84df859236c706b7a57e9abae264fbc7bcc0d286d3b257e6ac3c03962",
            "authorization": SIGNED
            + ", Signature=1b4b951e150297d4e363cd74f4702b8b7406ec4244b1b6dddc0e579c5cf4deae",
            "wire_uri": "/v2/manage/namespaces/group/repos/busybox",
        },
        {
            "name": "GET ListReposDetails, unsorted query with special characters",
            "method": "GET",
            "path": "/v2/manage/repos",
            "query": [
                ["namespace", "group"],
                ["limit", "100"],
                ["offset", "0"],
                ["filter", "namespace::group|name::busy box|order_column::updated_at"],
                ["order_type", "desc"],
            ],
            "body": "",
            "canonical_request_sha256": "df7b8f6cda5a06e8f213f790e56d74a129cbd02de9472b2a906adc6af1c6e932",
            "authorization": SIGNED
            + ", Signature=453b6b3dd3b59121c90991fc3d51e42ab13a5e2663ca72deecf8019f40ed1115",
            "wire_uri": "/v2/manage/repos?filter=namespace%3A%3Agroup%7Cname%3A%3Abusy%20box"
            "%7Corder_column%3A%3Aupdated_at&limit=100&namespace=group&offset=0&order_type=desc",
        },
        {
            "name": "POST CreateNamespace with a JSON body",
            "method": "POST",
            "path": "/v2/manage/namespaces",
            "query": [],
            "body": '{"namespace": "group"}',
            "canonical_request_sha256": "f46973ef6e615bf152070013d2e17dd97951b5ca2e00f25758adcab71782ec0c",
            "authorization": SIGNED
            + ", Signature=454a54b11e60b44021b3fe5a1a84bd5d977870c30eb0e2adaf204857cde9641a",
            "wire_uri": "/v2/manage/namespaces",
        },
    ],
}
COMMON = VECTORS["common"]
VECTOR_DATE = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
