"""Runs the scim2-tester conformance checker against a SCIM service provider.

Usage: scim_check.py BASE_URL TOKEN. Prints every check's result as a JSON line and exits 1
when any check failed (ERROR), 0 otherwise.
"""

import json
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def main() -> int:
    base, token = sys.argv[1], sys.argv[2]
    http = Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    client = SyncSCIMClient(http)
    results = check_server(client)
    failed = 0
    for result in results:
        status = result.status.name
        if result.status == Status.ERROR:
            failed += 1
        print(
            json.dumps(
                {
                    "status": status,
                    "title": result.title,
                    "resource_type": result.resource_type,
                    "reason": result.reason,
                }
            )
        )
    print(json.dumps({"checks": len(results), "failed": failed}))
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
