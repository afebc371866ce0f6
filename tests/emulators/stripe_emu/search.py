"""Subscription search, with an index that can lag behind (``search_lag``) and cursors bound to their query."""

import base64
import copy
import hashlib
import hmac
import re
import time

from .errors import ParamError

SEARCH_CLAUSE = re.compile(r"^(?:metadata\[['\"](?P<key>[^'\"]+)['\"]\]|(?P<field>status)):['\"](?P<value>[^'\"]*)['\"]$")
SEARCH_HISTORY = 16
# The emulator's wording: Stripe's own message for a bad search cursor was not found.
INVALID_PAGE_MESSAGE = ("Invalid page: '{page}' is not a next_page returned by a search with this query. Start again "
                        "without page.")


def field(version, key):
    """The metadata value a search clause compares (status when the key is None)."""
    return version["metadata"].get(key) if key is not None else version["status"]


class SearchMixin:
    """/v1/subscriptions/search and the index it reads."""

    def _index_subscription(self, sub):
        """Record a changed subscription for search (see ``search_lag``); returns its rendering."""
        rendered = self._render_subscription(sub)
        history = self.search_history.setdefault(sub["id"], [])
        history.append((time.monotonic(), copy.deepcopy(rendered)))
        del history[:-SEARCH_HISTORY]
        return rendered

    def _search_version(self, sub, cutoff):
        """The subscription as search sees it: live with no lag, else its newest rendering from before ``cutoff``."""
        if cutoff is None:
            return sub
        for changed, rendered in reversed(self.search_history.get(sub["id"], [])):
            if changed <= cutoff:
                return rendered
        return None

    def _page_token(self, query, seq):
        mac = hmac.new(self.page_secret, f"{query}\n{seq}".encode(), hashlib.sha256).hexdigest()[:24]
        return "page_" + base64.urlsafe_b64encode(f"{seq}:{mac}".encode()).decode().rstrip("=")

    def _page_after(self, query, page):
        """The ``_seq`` below which the page ``page`` of ``query`` starts; a 400 for a cursor not issued for it."""
        body = page[len("page_"):]
        try:
            seq = int(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("ascii").split(":")[0])
        except ValueError:
            seq = None
        if seq is None or not hmac.compare_digest(page.encode(), self._page_token(query, seq).encode()):
            raise ParamError(INVALID_PAGE_MESSAGE.format(page=page), param="page")
        return seq

    def subscriptions_search(self, request):
        """GET /v1/subscriptions/search: the query fields ``metadata['KEY']`` and ``status``, clauses joined by AND.

        With ``search_lag`` N (control API or ``--search-lag``) it answers as Stripe's index might have N seconds ago:
        a subscription created less than N s ago is missing, one changed less than N s ago is found (or not) and
        returned as it was before that change. Newest first; ``next_page`` is an opaque cursor bound to the query.
        """
        params = request.params
        lag = self.config["search_lag"]
        cutoff = time.monotonic() - lag if lag else None
        clauses = [clause.strip() for clause in re.split(r"\s+AND\s+", params["query"].strip())]
        matchers = []
        for clause in clauses:
            match = SEARCH_CLAUSE.match(clause)
            if match is None:
                raise ParamError(
                    f"Invalid search query: {clause!r} (the emulator knows metadata['key']:'value' and "
                    "status:'value', joined by AND)", param="query")
            matchers.append((match.group("key"), match.group("value")))
        limit = params.get("limit", 10)
        if not 1 <= limit <= 100:
            raise ParamError("Invalid limit: must be at least 1 and at most 100.", code="parameter_invalid_integer", param="limit")
        after = self._page_after(params["query"], params["page"]) if params.get("page") else None
        found = []
        for sub in sorted(self.subscriptions.values(), key=lambda obj: obj["_seq"], reverse=True):
            if after is not None and sub["_seq"] >= after:
                continue
            version = self._search_version(sub, cutoff)
            if version is not None and all(field(version, key) == value for key, value in matchers):
                found.append((sub["_seq"], version))
        page, more = found[:limit], len(found) > limit
        data = [self._render_subscription(version) if cutoff is None else copy.deepcopy(version) for _seq, version in page]
        return {
            "object": "search_result", "data": data, "has_more": more, "next_page":
            self._page_token(params["query"], page[-1][0]) if more else None, "url": "/v1/subscriptions/search"
        }
