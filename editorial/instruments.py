"""The numbers each process counts for itself (prometheus-client objects), in a leaf module.

Services and views add to these; `editorial.metrics` serves them. They live apart from the
/metrics blueprint so that counting a sign-in failure does not import the scrape-time
collectors (which read the services: an import cycle).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUEST_LATENCY = Histogram(
    "editorial_http_request_duration_seconds",
    "Time to answer a request, by route rule, method and status code.",
    ["route", "method", "status"],
)
# Sign-in refusals (editorial/auth): reason is credentials (wrong password or unknown account),
# throttled (a per-address limit) or locked (the account waits for its unlock link).
LOGIN_FAILURES = Counter(
    "editorial_login_failures_total", "Refused sign-in attempts, by reason.", ["reason"]
)
LOCKOUTS = Counter(
    "editorial_lockouts_total", "Accounts locked after too many failed sign-ins from anywhere."
)
