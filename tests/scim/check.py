"""Runs scim2-tester (https://pypi.org/project/scim2-tester/) against a running yolk's SCIM 2.0 service.

Environment: SCIM_YOLK_URL (yolk's base URL), SCIM_CLIENT_ID and SCIM_API_KEY (the environment's credentials).
Creates a tenant and a SCIM connection through the Management API, then runs every check with the connection's
bearer token. Prints each check; exits non-zero if any check did not pass (ERROR or CRITICAL: a MUST of the RFCs
broken; DEVIATION: a SHOULD not followed), or if nothing ran.
"""

import os
import sys
import uuid

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

FAILING = {Status.ERROR, Status.CRITICAL, Status.DEVIATION}


def main() -> int:
    url = os.environ["SCIM_YOLK_URL"].rstrip("/")
    with httpx2.Client(base_url=url, timeout=30) as api:
        auth = api.post(
            "/auth/vendor",
            json={"clientId": os.environ["SCIM_CLIENT_ID"], "secret": os.environ["SCIM_API_KEY"]},
        )
        auth.raise_for_status()
        vendor = {"Authorization": f"Bearer {auth.json()['token']}"}
        tenant = f"scim-tester-{uuid.uuid4().hex[:12]}"
        api.post(
            "/tenants/resources/tenants/v1", headers=vendor, json={"tenantId": tenant, "name": tenant}
        ).raise_for_status()
        created = api.post(
            "/directory/resources/v1/configurations/scim2",
            headers={**vendor, "frontegg-tenant-id": tenant},
            json={"source": "other", "connectionName": "scim2-tester", "syncToUserManagement": True},
        )
        created.raise_for_status()
        token = created.json()["token"]

    headers = {"Authorization": f"Bearer {token}"}
    with httpx2.Client(base_url=f"{url}/directory/resources/scim/v2/", headers=headers, timeout=30) as http:
        client = SyncSCIMClient(http)
        results = check_server(client)

    counts: dict[str, int] = {}
    failed = 0
    for r in results:
        name = r.status.name
        counts[name] = counts.get(name, 0) + 1
        where = f"[{r.resource_type}] " if r.resource_type else ""
        print(f"{name:10} {where}{r.title}" + (f": {r.reason}" if r.status in FAILING and r.reason else ""))
        if r.status in FAILING:
            failed += 1
    summary = ", ".join(f"{n} {k.lower()}" for k, n in sorted(counts.items()))
    print(f"scim2-tester: {len(results)} checks: {summary}")
    if not results:
        print("scim2-tester: FAIL: no check ran")
        return 1
    if failed:
        print(f"scim2-tester: FAIL: {failed} checks did not pass")
        return 1
    print("scim2-tester: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
