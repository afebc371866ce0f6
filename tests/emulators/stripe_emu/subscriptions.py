"""Subscriptions: creation, update, cancellation, listing, and the first invoice's payment."""

import copy
from calendar import monthrange
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from .common import TERMINAL_STATUSES, new_id, now
from .errors import ApiError, ParamError, exclusive, required
from .params import apply_metadata, created_filter

NO_PAYMENT_METHOD_MESSAGE = ("This customer has no attached payment source or default payment method. Please consider "
                             "adding a default payment method. For more information, visit "
                             "https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.")


def add_interval(timestamp, interval, count):
    """``timestamp`` plus ``count`` days/weeks/months/years (month ends clamp like Stripe's)."""
    moment = datetime.fromtimestamp(timestamp, timezone.utc)
    if interval == "day":
        moment += timedelta(days=count)
    elif interval == "week":
        moment += timedelta(weeks=count)
    else:
        months = moment.month - 1 + count * (12 if interval == "year" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        moment = moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))
    return int(moment.timestamp())


class SubscriptionsMixin:
    """/v1/subscriptions (search: ``search.py``, items: ``subscription_items.py``)."""

    def _subscription(self, subscription_id, param="id", status=404):
        return self._lookup(self.subscriptions, "subscription", subscription_id, param, status)

    def _needs_payment(self, sub):
        """Whether the first invoice must be paid now: charged automatically and not free."""
        if sub["collection_method"] == "send_invoice":
            return False
        return sum(self._price_amount(self.prices[item["price"]], item["quantity"] or 0) for item in sub["_item_objects"]) > 0

    @staticmethod
    def _price_amount(price, quantity):
        """What ``quantity`` of a per-unit or tiered price costs (a tiered one, roughly: enough to tell free from paid)."""
        if not price.get("_tiers"):
            return Decimal(price["unit_amount_decimal"]) * quantity
        return sum(
            Decimal(tier["unit_amount_decimal"] or 0) * quantity + Decimal(tier["flat_amount_decimal"] or 0) for tier in price["_tiers"])

    def _billing_problem(self, sub, customer):
        """None when the first invoice is paid; else 'no_payment_method' or 'declined'."""
        if not self._needs_payment(sub):
            return None
        payment_method_id = sub["default_payment_method"] or customer["invoice_settings"]["default_payment_method"]
        if payment_method_id is None:
            return "no_payment_method"
        if self.payment_methods[payment_method_id]["_declines"]:
            return "declined"
        return None

    @staticmethod
    def _payment_error(problem):
        if problem == "declined":
            return ApiError(402, "Your card was declined.", kind="card_error", code="card_declined", decline_code="generic_decline")
        return ApiError(400, NO_PAYMENT_METHOD_MESSAGE, code="resource_missing")

    def _set_periods(self, sub):
        starts = [item["current_period_start"] for item in sub["_item_objects"] if item["current_period_start"]]
        start = starts[0] if starts else sub["billing_cycle_anchor"]
        for item in sub["_item_objects"]:
            if sub["status"] == "trialing":
                item["current_period_start"], item["current_period_end"] = sub["trial_start"], sub["trial_end"]
            else:
                recurring = self.prices[item["price"]]["recurring"]
                item["current_period_start"] = item["current_period_start"] or start
                item["current_period_end"] = add_interval(item["current_period_start"], recurring["interval"], recurring["interval_count"])
        if sub["cancel_at_period_end"] or isinstance(sub["cancel_at"], str):
            # cancel_at=max_period_end / min_period_end / max_billed_until all mean the period end here
            sub["cancel_at"] = max(item["current_period_end"] for item in sub["_item_objects"])

    def _check_collection(self, sub, customer, params):
        if sub["collection_method"] == "send_invoice":
            if sub["days_until_due"] is None:
                raise required("days_until_due")
        elif "days_until_due" in params:
            raise ParamError("Invalid days_until_due: it can only be set when collection_method is send_invoice.", param="days_until_due")
        else:
            sub["days_until_due"] = None
        if sub["days_until_due"] is not None and sub["days_until_due"] < 0:
            raise ParamError("This value must be greater than or equal to 0.", code="parameter_invalid_integer", param="days_until_due")
        if sub["default_payment_method"]:
            self._attached_payment_method(customer["id"], sub["default_payment_method"], "default_payment_method")

    @staticmethod
    def _trial_end(params):
        if "trial_end" in params and "trial_period_days" in params:
            raise exclusive("trial_end", "trial_period_days")
        current = now()
        if params.get("trial_period_days"):
            if not 0 < params["trial_period_days"] <= 730:
                raise ParamError("Invalid trial_period_days: must be between 1 and 730.", param="trial_period_days")
            return current + params["trial_period_days"] * 86400
        trial_end = params.get("trial_end")
        if trial_end in (None, "now"):
            return None
        if not current < trial_end <= current + 730 * 86400:
            raise ParamError("Invalid timestamp: must be an integer Unix timestamp in the future and at most two years away.",
                             param="trial_end")
        return trial_end

    def _check_customer_currency(self, customer, currency, sub_id=None):
        for other in self.subscriptions.values():
            if (other["customer"] == customer["id"] and other["id"] != sub_id and other["status"] not in TERMINAL_STATUSES
                    and other["currency"] != currency):
                raise ApiError(
                    400, "You cannot combine currencies on a single customer. This customer has an active "
                    f"subscription, subscription schedule, discount, quote, or invoice item with currency {other['currency']}.",
                    param="items")

    def subscriptions_create(self, request):
        """POST /v1/subscriptions"""
        params = request.params
        if not params.get("customer"):
            raise required("customer")
        customer = self._customer(params["customer"], "customer", 400)
        if not params.get("items"):
            raise required("items")
        timestamp = now()
        sub = {
            "id": new_id("sub"), "object": "subscription", "application": None, "application_fee_percent": None, "automatic_tax":
            {"disabled_reason": None, "enabled": False, "liability": None}, "billing_cycle_anchor": timestamp,
            "billing_cycle_anchor_config": None, "billing_mode": {"flexible": None, "type": "classic"}, "billing_thresholds": None,
            "cancel_at": params.get("cancel_at") or None, "cancel_at_period_end": params.get("cancel_at_period_end", False), "canceled_at":
            None, "cancellation_details": {"comment": None, "feedback": None, "reason":
                                           None}, "collection_method": params.get("collection_method", "charge_automatically"), "created":
            timestamp, "currency": None, "customer": customer["id"], "customer_account": None, "days_until_due":
            params.get("days_until_due"), "default_payment_method": params.get("default_payment_method") or None, "default_source": None,
            "default_tax_rates": [], "description": params.get("description") or None, "discounts": [], "ended_at": None,
            "invoice_settings": {"account_tax_ids": None, "issuer":
                                 {"type": "self"}}, "latest_invoice": None, "livemode": request.livemode, "metadata":
            apply_metadata({}, params.get("metadata")), "next_pending_invoice_item_invoice": None, "on_behalf_of": None, "pause_collection":
            None, "payment_settings": {"payment_method_options": None, "payment_method_types": None, "save_default_payment_method":
                                       "off"}, "pending_invoice_item_interval": None, "pending_setup_intent": None, "pending_update": None,
            "schedule": None, "start_date": timestamp, "status": "incomplete", "test_clock": None, "transfer_data": None, "trial_end": None,
            "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}}, "trial_start": None, "_items": []
        }
        self._check_collection(sub, customer, params)
        trial_end = self._trial_end(params)
        items = self._resolve_items(sub, params["items"], [])
        sub["_item_objects"] = items
        sub["currency"] = self.prices[items[0]["price"]]["currency"]
        self._check_customer_currency(customer, sub["currency"])
        if trial_end is not None:
            sub.update(status="trialing", trial_start=timestamp, trial_end=trial_end, billing_cycle_anchor=trial_end)
        else:
            problem = self._billing_problem(sub, customer)
            if problem and params.get("payment_behavior") == "error_if_incomplete":
                raise self._payment_error(problem)
            if params.get("payment_behavior") == "default_incomplete" and self._needs_payment(sub):
                problem = "confirmation_required"
            sub["status"] = "incomplete" if problem else "active"
        self._set_periods(sub)
        del sub["_item_objects"]
        self._store(self.subscriptions, sub)
        self._save_items(sub, items)
        self._index_subscription(sub)
        if customer["currency"] is None:
            customer["currency"] = sub["currency"]
        rendered = self._render_subscription(sub)
        self._emit("customer.subscription.created", rendered, request)
        return rendered

    def subscriptions_retrieve(self, request):
        """GET /v1/subscriptions/{subscription}"""
        return self._render_subscription(self._subscription(request.args["subscription"]))

    def subscriptions_update(self, request):  # pylint: disable=too-many-branches
        """POST /v1/subscriptions/{subscription}"""
        sub = self._subscription(request.args["subscription"])
        params = request.params
        if sub["status"] in TERMINAL_STATUSES:
            raise ApiError(400, f"A {sub['status']} subscription cannot be updated.")
        customer = self._customer(sub["customer"], "customer", 400, allow_deleted=True)
        before = self._render_subscription(sub)
        updated = copy.deepcopy(sub)
        updated["metadata"] = apply_metadata(sub["metadata"], params.get("metadata"))
        for field in ("collection_method", "days_until_due", "cancel_at_period_end"):
            if field in params:
                updated[field] = params[field]
        for field in ("description", "default_payment_method"):
            if field in params:
                updated[field] = params[field] or None
        if "cancel_at" in params:
            updated["cancel_at"] = params["cancel_at"] or None
            updated["cancel_at_period_end"] = False
        elif params.get("cancel_at_period_end") is False:
            updated["cancel_at"] = None
        if "cancellation_details" in params:
            for key in ("comment", "feedback"):
                if key in params["cancellation_details"]:
                    updated["cancellation_details"][key] = params["cancellation_details"][key] or None
        self._check_collection(updated, customer, params)
        items = self._resolve_items(updated, params.get("items") or [], [self.items[item_id] for item_id in sub["_items"]])
        updated["_item_objects"] = items
        updated["currency"] = self.prices[items[0]["price"]]["currency"]
        self._check_customer_currency(customer, updated["currency"], sub["id"])
        if "trial_end" in params:
            if params["trial_end"] == "now":
                if updated["status"] == "trialing":
                    updated.update(trial_end=now(), billing_cycle_anchor=now())
                    for item in items:
                        item["current_period_start"] = None
                    updated["status"] = "past_due" if self._billing_problem(updated, customer) else "active"
            else:
                updated.update(trial_end=self._trial_end(params), status="trialing", billing_cycle_anchor=params["trial_end"])
                updated["trial_start"] = updated["trial_start"] or now()
        self._set_periods(updated)
        del updated["_item_objects"]
        sub.update(updated)
        self._save_items(sub, items)
        return self._emit_changes("customer.subscription.updated", before, self._index_subscription(sub), request)

    def _cancel_subscription(self, sub, request, details):
        timestamp = now()
        sub.update(status="canceled", canceled_at=timestamp, ended_at=timestamp)
        sub["cancellation_details"] = {
            "comment": details.get("comment") or None, "feedback": details.get("feedback") or None, "reason": "cancellation_requested"
        }
        rendered = self._index_subscription(sub)
        self._emit("customer.subscription.deleted", rendered, request)
        return rendered

    def subscriptions_cancel(self, request):
        """DELETE /v1/subscriptions/{subscription}"""
        sub = self._subscription(request.args["subscription"])
        if sub["status"] in TERMINAL_STATUSES:
            raise ApiError(400, f"This subscription is already {sub['status']} and cannot be canceled again.")
        return self._cancel_subscription(sub, request, request.params.get("cancellation_details") or {})

    def subscriptions_list(self, request):
        """GET /v1/subscriptions"""
        params = request.params
        subs = list(self.subscriptions.values())
        status = params.get("status")
        if status in (None, ""):
            subs = [sub for sub in subs if sub["status"] not in TERMINAL_STATUSES]
        elif status == "ended":
            subs = [sub for sub in subs if sub["status"] in TERMINAL_STATUSES]
        elif status != "all":
            subs = [sub for sub in subs if sub["status"] == status]
        for field in ("customer", "collection_method"):
            if params.get(field):
                subs = [sub for sub in subs if sub[field] == params[field]]
        price_id = params.get("price") or params.get("plan")
        if price_id:
            subs = [sub for sub in subs if any(self.items[item_id]["price"] == price_id for item_id in sub["_items"])]
        subs = created_filter(subs, params.get("created"))
        return self._paginate(subs, params, "/v1/subscriptions", self._render_subscription)
