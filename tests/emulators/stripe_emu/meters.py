"""Billing meters, meter events and their summaries."""

import copy

from .common import new_id, now, public, random_chars
from .errors import ApiError, ParamError, invalid_empty
from .params import not_empty

METER_EVENT_IDENTIFIER_WINDOW = 24 * 3600  # Stripe enforces an identifier's uniqueness for at least 24 hours
METER_EVENT_PAST = 35 * 86400  # a meter event's timestamp: within the past 35 days ...
METER_EVENT_FUTURE = 300  # ... or up to 5 minutes ahead


class MetersMixin:
    """/v1/billing/meters and /v1/billing/meter_events."""

    def _meter(self, meter_id):
        return self._lookup(self.meters, "billing meter", meter_id)

    def _check_event_name_free(self, event_name, own_id=None):
        """Stripe keeps an event name on one active meter: the meter events name the meter they count for."""
        holder = next((meter for meter in self.meters.values()
                       if meter["event_name"] == event_name and meter["status"] == "active" and meter["id"] != own_id), None)
        if holder is not None:
            raise ApiError(400, f"An active meter ({holder['id']}) already uses the event_name '{event_name}'.", param="event_name")

    def meters_create(self, request):
        """POST /v1/billing/meters"""
        params = request.params
        not_empty(params, "display_name", "event_name")
        if len(params["event_name"]) > 100:
            raise ParamError("Invalid event_name: must be at most 100 characters.", param="event_name")
        self._check_event_name_free(params["event_name"])
        mapping = params.get("customer_mapping") or {"event_payload_key": "stripe_customer_id", "type": "by_id"}
        value = params.get("value_settings") or {"event_payload_key": "value"}
        for field, given in (("customer_mapping", mapping), ("value_settings", value)):
            if not given["event_payload_key"]:
                raise invalid_empty(f"{field}[event_payload_key]")
        timestamp = now()
        meter = {
            "id": new_id("mtr"), "object": "billing.meter", "created": timestamp, "customer_mapping":
            {"event_payload_key": mapping["event_payload_key"], "type":
             mapping["type"]}, "default_aggregation": {"formula": params["default_aggregation"]["formula"]}, "display_name":
            params["display_name"], "event_name": params["event_name"], "event_time_window": params.get("event_time_window"), "livemode":
            request.livemode, "status": "active", "status_transitions": {"deactivated_at": None}, "updated": timestamp, "value_settings":
            {"event_payload_key": value["event_payload_key"]}
        }
        self._store(self.meters, meter)
        return public(meter)

    def meters_retrieve(self, request):
        """GET /v1/billing/meters/{id}"""
        return public(self._meter(request.args["id"]))

    def meters_update(self, request):
        """POST /v1/billing/meters/{id}: only display_name can change (the SDK's parameters hold nothing else)."""
        meter = self._meter(request.args["id"])
        not_empty(request.params, "display_name")
        if "display_name" in request.params:
            meter.update(display_name=request.params["display_name"], updated=now())
        return public(meter)

    def meters_deactivate(self, request):
        """POST /v1/billing/meters/{id}/deactivate"""
        meter = self._meter(request.args["id"])
        if meter["status"] == "active":
            timestamp = now()
            meter.update(status="inactive", status_transitions={"deactivated_at": timestamp}, updated=timestamp)
        return public(meter)

    def meters_reactivate(self, request):
        """POST /v1/billing/meters/{id}/reactivate"""
        meter = self._meter(request.args["id"])
        if meter["status"] != "active":
            self._check_event_name_free(meter["event_name"], meter["id"])
            meter.update(status="active", status_transitions={"deactivated_at": None}, updated=now())
        return public(meter)

    def meters_list(self, request):
        """GET /v1/billing/meters"""
        meters = list(self.meters.values())
        if "status" in request.params:
            meters = [meter for meter in meters if meter["status"] == request.params["status"]]
        return self._paginate(meters, request.params, "/v1/billing/meters", public)

    def meter_events_create(self, request):
        """POST /v1/billing/meter_events: an identifier seen in the last 24 hours is refused and not counted again."""
        params = request.params
        not_empty(params, "event_name")
        timestamp = params.get("timestamp", now())
        if not now() - METER_EVENT_PAST <= timestamp <= now() + METER_EVENT_FUTURE:
            raise ParamError("The timestamp must be within the past 35 calendar days or up to 5 minutes in the future.", param="timestamp")
        identifier = params.get("identifier") or "emu_" + random_chars(24)
        if len(identifier) > 100:
            raise ParamError("Invalid identifier: must be at most 100 characters.", param="identifier")
        if any(event["identifier"] == identifier and event["created"] > now() - METER_EVENT_IDENTIFIER_WINDOW
               for event in self.meter_events):
            raise ApiError(
                400, f"A meter event with the identifier '{identifier}' was already received in the last 24 hours; "
                "it is counted once.", param="identifier")
        event = {
            "object": "billing.meter_event", "created": now(), "event_name": params["event_name"], "identifier": identifier, "livemode":
            request.livemode, "payload": dict(params.get("payload") or {}), "timestamp": timestamp
        }
        self.meter_events.append(event)
        return copy.deepcopy(event)

    @staticmethod
    def _aggregate(formula, values):
        if formula == "count":
            return float(len(values))
        if not values:
            return 0.0
        return float(values[-1] if formula == "last" else sum(values))

    def meter_event_summaries(self, request):
        """GET /v1/billing/meters/{id}/event_summaries: one customer's aggregated usage in [start_time, end_time)."""
        meter = self._meter(request.args["id"])
        params = request.params
        start, end = params["start_time"], params["end_time"]
        for name, value in (("start_time", start), ("end_time", end)):
            if value % 60:
                raise ParamError(f"{name} must be aligned with minute boundaries.", param=name)
        if start >= end:
            raise ParamError("start_time must be before end_time.", param="start_time")
        window = {"hour": 3600, "day": 86400}.get(params.get("value_grouping_window"))
        customer_key = meter["customer_mapping"]["event_payload_key"]
        value_key = meter["value_settings"]["event_payload_key"]
        values = []  # (timestamp, value) of the customer's valid events, in arrival order
        for event in self.meter_events:
            payload = event["payload"]
            if event["event_name"] != meter["event_name"] or payload.get(customer_key) != params["customer"]:
                continue
            if not start <= event["timestamp"] < end:
                continue
            try:
                value = 1.0 if meter["default_aggregation"]["formula"] == "count" else float(payload[value_key])
            except (KeyError, ValueError):
                continue  # Stripe reports such an event in the meter's error reports and does not count it
            values.append((event["timestamp"], value))
        buckets = [(start, end)] if window is None else [(at, min(at + window, end)) for at in range(start - start % window, end, window)]
        summaries = []
        for bucket_start, bucket_end in buckets:
            inside = [value for at, value in sorted(values, key=lambda pair: pair[0]) if max(bucket_start, start) <= at < bucket_end]
            summaries.append({
                "id": f"mtrusg_{meter['id'][4:]}_{bucket_start}", "object": "billing.meter_event_summary", "aggregated_value":
                self._aggregate(meter["default_aggregation"]["formula"], inside), "end_time": bucket_end, "livemode": request.livemode,
                "meter": meter["id"], "start_time": max(bucket_start, start)
            })
        limit = params.get("limit", 10)
        if not 1 <= limit <= 100:
            raise ParamError("Invalid limit: must be at least 1 and at most 100.", code="parameter_invalid_integer", param="limit")
        return {
            "object": "list", "data": summaries[:limit], "has_more": len(summaries) > limit, "url":
            f"/v1/billing/meters/{meter['id']}/event_summaries"
        }
