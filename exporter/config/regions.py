"""Huawei Cloud regions that have SWR, and the default SWR and IAM endpoints for a region.

Tables from huaweicloudsdkswr's ``SwrRegion`` and huaweicloudsdkcore's ``auth/endpoint.py``
(swr-api.md sections 9.1 and 9.2).
"""

from __future__ import annotations

SWR_REGIONS = frozenset({
    "af-north-1", "af-south-1", "ae-ad-1",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
    "cn-east-2", "cn-east-3", "cn-east-4", "cn-east-5",
    "cn-north-1", "cn-north-2", "cn-north-4", "cn-north-9", "cn-north-11", "cn-north-12",
    "cn-south-1", "cn-south-2", "cn-south-4", "cn-southwest-2", "cn-southwest-3",
    "eu-west-0", "eu-west-101",
    "la-north-2", "la-south-2", "me-east-1", "my-kualalumpur-1", "na-mexico-1",
    "ru-moscow-1", "ru-northwest-2", "sa-brazil-1", "sa-peru-1", "tr-west-1",
})

# Regions with their own IAM endpoint; every other region is served by the global one.
_REGIONAL_IAM = frozenset({
    "cn-north-1", "cn-north-2", "cn-north-4", "cn-north-9", "cn-north-12",
    "cn-east-2", "cn-east-3", "cn-east-4", "cn-east-5", "cn-south-1", "cn-south-2", "cn-southwest-2",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "af-south-1", "sa-brazil-1", "la-south-2", "la-north-2", "na-mexico-1", "eu-west-0",
    "my-kualalumpur-1", "ru-moscow-1", "me-east-1", "ae-ad-1", "tr-west-1",
})
GLOBAL_IAM_ENDPOINT = "https://iam.myhuaweicloud.com"
# eu-west-101 lives in a separate cloud (myhuaweicloud.eu) that the global .com IAM does not serve;
# huaweicloudsdkiam's own region table has it there.
_EU_WEST_101 = "eu-west-101"


def _domain(region: str) -> str:
    return "myhuaweicloud.eu" if region == _EU_WEST_101 else "myhuaweicloud.com"


def default_endpoint(region: str) -> str:
    return f"https://swr-api.{region}.{_domain(region)}"


def default_iam_endpoint(region: str) -> str:
    if region in _REGIONAL_IAM or region == _EU_WEST_101:
        return f"https://iam.{region}.{_domain(region)}"
    return GLOBAL_IAM_ENDPOINT


# huaweicloudsdkcore's StsHelper: these regions have their own STS endpoint, the rest use cn-north-4's.
_REGIONAL_STS = frozenset({
    "cn-north-4", "cn-south-1", "cn-east-3", "cn-southwest-2", "ap-southeast-1", "ap-southeast-2",
    "ap-southeast-3", "ap-southeast-4", "sa-brazil-1", "la-south-2", "af-south-1", "tr-west-1",
})


def default_sts_endpoint(region: str) -> str:
    return f"https://sts.{region if region in _REGIONAL_STS else 'cn-north-4'}.myhuaweicloud.com"
