"""Webhook endpoints and the signed, retried deliveries to them."""

import hashlib
import heapq
import hmac
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from .common import new_id, now, public, random_chars
from .errors import ParamError, invalid_empty
from .params import apply_metadata, not_empty

WEBHOOK_BACKOFF = (0.2, 0.5, 1.0, 2.0)
WEBHOOK_MAX_ATTEMPTS = len(WEBHOOK_BACKOFF) + 1
WEBHOOK_TIMEOUT = 5.0


class WebhookDispatcher:  # pylint: disable=too-many-instance-attributes
    """Posts signed events to webhook endpoints from one background thread; retries failures."""

    def __init__(self):
        self._cond = threading.Condition()
        self._queue = []
        self._seq = 0
        self._generation = 0
        self._stopping = False
        self._deliveries = []
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
        self._thread.start()

    def submit(self, endpoint, event, body):
        """Queue the first delivery attempt of ``event`` to ``endpoint``."""
        job = {
            "endpoint_id": endpoint["id"], "url": endpoint["url"], "secret": endpoint["secret"], "event_id": event["id"], "event_type":
            event["type"], "body": body, "attempt": 1
        }
        with self._cond:
            self._push(time.monotonic(), job)

    def deliveries(self):
        """A copy of every delivery attempt so far."""
        with self._cond:
            return [dict(delivery) for delivery in self._deliveries]

    def reset(self):
        """Drop queued deliveries and the delivery log."""
        with self._cond:
            self._queue.clear()
            self._deliveries.clear()
            self._generation += 1

    def stop(self):
        """Stop the delivery thread (pending retries are dropped)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout=WEBHOOK_TIMEOUT + 1)

    def _push(self, due, job):
        self._seq += 1
        heapq.heappush(self._queue, (due, self._seq, job))
        self._cond.notify_all()

    def _next_job(self):
        with self._cond:
            while not self._stopping:
                if self._queue and self._queue[0][0] <= time.monotonic():
                    return heapq.heappop(self._queue)[2], self._generation
                self._cond.wait(self._queue[0][0] - time.monotonic() if self._queue else None)
            return None, None

    def _run(self):
        while True:
            job, generation = self._next_job()
            if job is None:
                return
            status, error = self._post(job)
            with self._cond:
                if generation != self._generation:
                    continue
                succeeded = status is not None and 200 <= status < 300
                self._deliveries.append({
                    "event_id": job["event_id"], "event_type": job["event_type"], "endpoint_id": job["endpoint_id"], "url": job["url"],
                    "attempt": job["attempt"], "status": status, "error": error, "succeeded": succeeded, "at": time.time()
                })
                if not succeeded and job["attempt"] < WEBHOOK_MAX_ATTEMPTS:
                    delay = WEBHOOK_BACKOFF[job["attempt"] - 1]
                    self._push(time.monotonic() + delay, dict(job, attempt=job["attempt"] + 1))

    def _post(self, job):
        timestamp = int(time.time())
        signature = hmac.new(job["secret"].encode(), f"{timestamp}.".encode() + job["body"], hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            job["url"], data=job["body"], method="POST", headers={
                "Content-Type": "application/json",
                "Stripe-Signature": f"t={timestamp},v1={signature}",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            })
        try:
            with self._opener.open(request, timeout=WEBHOOK_TIMEOUT) as response:
                response.read()
                return response.status, None
        except urllib.error.HTTPError as err:
            err.close()
            return err.code, None
        except (urllib.error.URLError, OSError, ValueError) as err:
            return None, str(err)


class WebhookEndpointsMixin:
    """/v1/webhook_endpoints."""

    def _endpoint(self, endpoint_id):
        return self._lookup(self.endpoints, "webhook endpoint", endpoint_id)

    @staticmethod
    def _check_url(url):
        split = urlsplit(url)
        if split.scheme not in ("http", "https") or not split.hostname:
            raise ParamError(f"Invalid URL: {url}. URLs must be absolute http(s) URLs.", code="url_invalid", param="url")
        return url

    def webhook_endpoints_create(self, request):
        """POST /v1/webhook_endpoints"""
        params = request.params
        not_empty(params, "url")
        if not params.get("enabled_events"):
            raise invalid_empty("enabled_events")
        endpoint = {
            "id": new_id("we"), "object": "webhook_endpoint", "api_version": params.get("api_version"), "application": None, "created":
            now(), "description": params.get("description") or None, "enabled_events": params["enabled_events"], "livemode":
            request.livemode, "metadata": apply_metadata({}, params.get("metadata")), "status": "enabled", "url":
            self._check_url(params["url"]), "secret": "whsec_" + random_chars(32)
        }
        self._store(self.endpoints, endpoint)
        return public(endpoint)

    @staticmethod
    def _render_endpoint(endpoint):
        rendered = public(endpoint)
        rendered.pop("secret")
        return rendered

    def webhook_endpoints_retrieve(self, request):
        """GET /v1/webhook_endpoints/{webhook_endpoint}"""
        return self._render_endpoint(self._endpoint(request.args["webhook_endpoint"]))

    def webhook_endpoints_update(self, request):
        """POST /v1/webhook_endpoints/{webhook_endpoint}"""
        endpoint = self._endpoint(request.args["webhook_endpoint"])
        params = request.params
        not_empty(params, "url")
        if "enabled_events" in params and not params["enabled_events"]:
            raise invalid_empty("enabled_events")
        updated = dict(endpoint, metadata=apply_metadata(endpoint["metadata"], params.get("metadata")))
        if "url" in params:
            updated["url"] = self._check_url(params["url"])
        if "enabled_events" in params:
            updated["enabled_events"] = params["enabled_events"]
        if "description" in params:
            updated["description"] = params["description"] or None
        if "disabled" in params:
            updated["status"] = "disabled" if params["disabled"] else "enabled"
        endpoint.update(updated)
        return self._render_endpoint(endpoint)

    def webhook_endpoints_delete(self, request):
        """DELETE /v1/webhook_endpoints/{webhook_endpoint}"""
        endpoint = self._endpoint(request.args["webhook_endpoint"])
        del self.endpoints[endpoint["id"]]
        return {"deleted": True, "id": endpoint["id"], "object": "webhook_endpoint"}

    def webhook_endpoints_list(self, request):
        """GET /v1/webhook_endpoints"""
        return self._paginate(list(self.endpoints.values()), request.params, "/v1/webhook_endpoints", self._render_endpoint)
