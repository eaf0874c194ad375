"""TRUST 26: one place reads the client's address, so every rate limit and log line obeys
TRUSTED_PROXIES. A new reader of remote_addr or X-Forwarded-For elsewhere fails here."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "editorial"
# extensions.client_address() reads the address; security.py decides whether proxies count.
ALLOWED = {PACKAGE / "extensions.py", PACKAGE / "security.py"}
READERS = re.compile(
    r"remote_addr|REMOTE_ADDR|access_route|get_remote_address|HTTP_X_FORWARDED|HTTP_X_REAL_IP"
    r"|headers(?:\.get\(|\[)\s*[\"']X-(?:Forwarded|Real)",
    re.IGNORECASE,
)


def test_only_client_address_reads_where_a_request_came_from() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in ALLOWED
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if READERS.search(line) and not line.lstrip().startswith("#")
    ]
    assert found == [], "read the address through editorial.extensions.client_address():\n" + (
        "\n".join(found)
    )
