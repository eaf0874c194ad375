"""The site blueprint, apart from the package so its route modules import it without a cycle."""

from flask import Blueprint, request

from editorial.extensions import limiter

bp = Blueprint("site", __name__)


@limiter.request_filter
def _readers_unlimited() -> bool:
    """Readers' pages carry no rate limit, so the limiter's per-request work is skipped for them.

    None ever had one (no default or application limits, no site view decorated): a cache hit
    costs less than the check, and a miss is one render of bounded cost (keyset pages, cached
    fragments) that a CDN in front collapses to one a second per URL (s-maxage=1). An address
    limit would also throttle whole mobile networks, whose readers share a few carrier-grade
    NAT addresses. Limits stay where a request costs a password hash or sends mail (auth).
    A limit put on a site view would be skipped by this filter: put it elsewhere, say why.
    """
    return request.blueprint == bp.name
