"""Events: recorded for every change and handed to the webhook deliveries."""

import copy
import json
import re

from .common import DEFAULT_API_VERSION, apply_legacy_shapes, diff_attributes, new_id, now, public
from .errors import exclusive, missing
from .params import created_filter


class EventsMixin:
    """/v1/events and ``_emit``."""

    def _emit(self, event_type, data_object, request, previous=None):
        """Record an Event and queue its webhook deliveries."""
        endpoints = [
            endpoint for endpoint in self.endpoints.values()
            if endpoint["status"] == "enabled" and ("*" in endpoint["enabled_events"] or event_type in endpoint["enabled_events"])
        ]
        event = {
            "id": new_id("evt"), "object": "event", "api_version": DEFAULT_API_VERSION, "created": now(), "data":
            {"object": copy.deepcopy(data_object)}, "livemode": request.livemode, "pending_webhooks": len(endpoints), "request":
            {"id": request.request_id, "idempotency_key": request.idempotency_key}, "type": event_type
        }
        if previous is not None:
            event["data"]["previous_attributes"] = copy.deepcopy(previous)
        self._store(self.events, event)
        for endpoint in endpoints:
            payload = public(event)
            payload["api_version"] = endpoint["api_version"] or DEFAULT_API_VERSION
            apply_legacy_shapes(payload["data"]["object"], payload["api_version"])
            self.webhooks.submit(endpoint, event, json.dumps(payload, indent=2).encode())

    def _emit_changes(self, event_type, before, after, request):
        """Emit ``event_type`` with ``previous_attributes`` if ``after`` differs from ``before``; returns ``after``."""
        previous = diff_attributes(before, after)
        if previous:
            self._emit(event_type, after, request, previous)
        return after

    def events_list(self, request):
        """GET /v1/events"""
        params = request.params
        events = list(self.events.values())
        if params.get("type") and params.get("types"):
            raise exclusive("type", "types")
        if params.get("type"):
            pattern = re.compile("^" + re.escape(params["type"]).replace(r"\*", ".*") + "$")
            events = [event for event in events if pattern.match(event["type"])]
        if params.get("types"):
            events = [event for event in events if event["type"] in params["types"]]
        events = created_filter(events, params.get("created"))
        return self._paginate(events, params, "/v1/events", public)

    def events_retrieve(self, request):
        """GET /v1/events/{id}"""
        event = self.events.get(request.args["id"])
        if event is None:
            raise missing("event", request.args["id"])
        return public(event)
