"""The Tenant Billing Server's Stripe backend (reference §5.1-§5.3).

It receives Stripe webhooks at POST /api/v3/tbs/stripe, reads the customer (and, when the event
carries no plan metadata, the price) from the Stripe API, and creates or updates tenants through
the registry as the real TBS does through the Identity Server's gRPC API.
"""

import copy
import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from . import errors

SIGNATURE_TOLERANCE = 300
STRIPE_API_VERSION = "2022-11-15"
HANDLED_EVENTS = ("customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted")
LIMIT_KEYS = {
    "max-applications": "max_applications",
    "max-clients": "max_clients",
    "max-end-devices": "max_end_devices",
    "max-gateways": "max_gateways",
    "max-organizations": "max_organizations",
    "max-users": "max_users",
}
# Update mask of createTenant (TTI-2020 stripe/tenants.tti.go).
TENANT_MASK = [
    "billing", "contact_info", "description", "max_applications", "max_clients", "max_end_devices", "max_gateways", "max_organizations",
    "max_users", "name", "state"
]
NAMESPACE = "pkg/tenantbillingserver/stripe"


def _error(code, name, message_format, **attributes):
    return errors.TTSError(code, NAMESPACE, name, message_format, **attributes)


class Config:
    """tbs.stripe.* configuration; replaceable at run time through the control API.

    `plan_ids` is the older single list: set alone it means recurring plans only; read back it is both lists.
    """

    FIELDS = ("enabled", "stripe_api_base", "stripe_api_key", "endpoint_secret", "recurring_plan_ids", "metered_plan_ids")
    PLAN_LISTS = ("recurring_plan_ids", "metered_plan_ids")

    def __init__(self, enabled=False, stripe_api_base="https://api.stripe.com", stripe_api_key="", endpoint_secret="",
                 recurring_plan_ids=(), metered_plan_ids=()):
        self.enabled = enabled
        self.stripe_api_base = stripe_api_base
        self.stripe_api_key = stripe_api_key
        self.endpoint_secret = endpoint_secret
        self.recurring_plan_ids = list(recurring_plan_ids)
        self.metered_plan_ids = list(metered_plan_ids)

    @property
    def plan_ids(self):
        return self.recurring_plan_ids + self.metered_plan_ids

    def to_json(self):
        values = {field: copy.copy(getattr(self, field)) for field in self.FIELDS}
        values["plan_ids"] = self.plan_ids
        return values

    def merged(self, changes):
        """A new Config with `changes` applied; raises ValueError for a configuration the TBS would refuse."""
        values = self.to_json()
        del values["plan_ids"]
        for key, value in changes.items():
            if key not in self.FIELDS + ("plan_ids", ):
                raise ValueError(f"unknown TBS setting {key!r}")
            values[key] = _id_list(value, key) if key in self.PLAN_LISTS + ("plan_ids", ) else value
        if "plan_ids" in changes:
            plan_ids = values.pop("plan_ids")
            if not any(key in changes for key in self.PLAN_LISTS):
                values.update(recurring_plan_ids=plan_ids, metered_plan_ids=[])
            elif plan_ids != values["recurring_plan_ids"] + values["metered_plan_ids"]:
                raise ValueError("`plan_ids` must be `recurring_plan_ids` followed by `metered_plan_ids`; give either")
        config = Config(**values)
        config.validate()
        return config

    def validate(self):
        if not isinstance(self.enabled, bool):
            raise ValueError("`enabled` must be a boolean")
        for key in ("stripe_api_base", "stripe_api_key", "endpoint_secret"):
            if not isinstance(getattr(self, key), str):
                raise ValueError(f"`{key}` must be a string")
        if not self.enabled:
            return
        if not self.stripe_api_key:
            raise ValueError("no_api_key: the Stripe API key is required")
        if not self.endpoint_secret:
            raise ValueError("no_endpoint_secret_key: the webhook endpoint secret is required")
        if not self.plan_ids:
            raise ValueError("no_plan_ids: at least one recurring or metered plan ID is required")
        if not self.stripe_api_base.startswith(("http://", "https://")):
            raise ValueError("stripe_api_base must be an http(s) URL")


def _id_list(value, key):
    """A list of plan IDs, or one comma-separated string as on the command line."""
    if isinstance(value, str):
        value = [p for p in value.split(",") if p]
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise ValueError(f"`{key}` must be a list of strings")
    return value


def verify_signature(payload, header, secret, now=None):
    """Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<payload>">, like stripe-go's webhook.ConstructEvent."""
    timestamp, signatures = None, []
    for part in (header or "").split(","):
        key, dummy, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            signatures.append(value)
    if not timestamp or not timestamp.isdigit() or not signatures:
        raise _error(errors.INVALID_ARGUMENT, "webhook_signature", "invalid Stripe-Signature header: {reason}",
                     reason="missing timestamp or v1 signature")
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + payload, hashlib.sha256).hexdigest()
    if not any(signature.isascii() and hmac.compare_digest(expected, signature) for signature in signatures):
        raise _error(errors.INVALID_ARGUMENT, "webhook_signature", "invalid Stripe-Signature header: {reason}",
                     reason="no signature matches the payload")
    if (now if now is not None else time.time()) - int(timestamp) > SIGNATURE_TOLERANCE:
        raise _error(errors.INVALID_ARGUMENT, "webhook_signature", "invalid Stripe-Signature header: {reason}", reason="timestamp too old")


class StripeAPI:
    """The two reads the TBS makes, with the secret key and the TBS's pinned API version."""

    # Direct connections only: proxy variables in a test environment must not capture 127.0.0.1 traffic.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def __init__(self, config):
        self.base = config.stripe_api_base.rstrip("/")
        self.key = config.stripe_api_key

    def get(self, kind, object_id):
        url = f"{self.base}/v1/{kind}/{urllib.parse.quote(object_id, safe='')}"
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.key}", "Stripe-Version": STRIPE_API_VERSION})
        try:
            with self.opener.open(request, timeout=10) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise _error(errors.INTERNAL, "stripe_request", "Stripe request `{path}` failed with HTTP {status}",
                         path=f"/v1/{kind}/{object_id}", status=exc.code) from exc
        except (OSError, ValueError) as exc:
            raise _error(errors.UNAVAILABLE, "stripe_request", "Stripe request `{path}` failed: {reason}", path=f"/v1/{kind}/{object_id}",
                         reason=str(exc)) from exc
        if not isinstance(body, dict):
            raise _error(errors.INTERNAL, "stripe_request", "Stripe request `{path}` returned no object", path=f"/v1/{kind}/{object_id}")
        return body


def _object_id(value):
    return value.get("id", "") if isinstance(value, dict) else (value or "")


def _checked(value, kind, what):
    """Stripe's payload is untrusted: a wrong shape fails the event like a payload TBS cannot decode."""
    if not isinstance(value, kind):
        raise _error(errors.INVALID_ARGUMENT, "invalid_event", "invalid event payload: {reason}",
                     reason=f"{what} is not {'an object' if kind is dict else 'a list'}")
    return value


def _plan_id(item):
    plan = item.get("plan") or item.get("price") or {}
    return plan.get("id", "") if isinstance(plan, dict) else ""


class BillingServer:
    """Webhook handling and the record of what it did for GET /_emulator/tbs/events."""

    def __init__(self, registry, config):
        self.registry = registry
        self.config = config
        self.lock = threading.Lock()
        self.events = []

    def reset(self):
        with self.lock:
            self.events.clear()

    def event_log(self):
        with self.lock:
            return copy.deepcopy(self.events)

    def handle(self, payload, signature_header):
        """Returns the HTTP status and body for one webhook delivery; raises TTSError for non-2xx."""
        config = self.config
        verify_signature(payload, signature_header, config.endpoint_secret)
        try:
            event = json.loads(payload)
            if not isinstance(event, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            raise _error(errors.INVALID_ARGUMENT, "invalid_event", "invalid event payload: {reason}", reason=str(exc)) from exc
        api_version = event.get("api_version")
        if isinstance(api_version, str) and api_version[:10] < STRIPE_API_VERSION:
            raise _error(errors.INVALID_ARGUMENT, "incompatible_api_version",
                         "webhook API version `{version}` is not compatible, use `{expected}`", version=api_version,
                         expected=STRIPE_API_VERSION)
        record = {
            "event_id": event.get("id", ""), "type": event.get("type", ""), "action": "ignored", "tenant_id": "", "subscription_id": "",
            "customer_id": "", "subscription_status": "", "error": None, "status": 200
        }
        try:
            if record["type"] in HANDLED_EVENTS:
                self._handle_subscription(event, record, config)
        except errors.TTSError as exc:
            record.update(action="error", error=exc.message, status=exc.http_status)
            raise
        finally:
            with self.lock:
                self.events.append(record)
        return 200, {}

    def _handle_subscription(self, event, record, config):
        sub = _checked(event.get("data"), dict, "data")
        sub = _checked(sub.get("object"), dict, "data.object")
        metadata = _checked(sub.get("metadata") or {}, dict, "subscription metadata")
        record.update(subscription_id=sub.get("id", ""), customer_id=_object_id(sub.get("customer")),
                      subscription_status=sub.get("status", ""), tenant_id=metadata.get("tenant-id", ""))
        items = _checked(_checked(sub.get("items") or {}, dict, "subscription items").get("data") or [], list, "subscription items")
        # findSubscriptionItem: the first item, in item order, whose plan is in either list.
        item = next((i for i in items if _plan_id(_checked(i, dict, "subscription item")) in config.plan_ids), None)
        if item is None:
            return
        status = sub.get("status")
        if status in ("active", "trialing"):
            record["action"] = self._create_or_update(sub, item, config)
        elif status == "past_due":
            self._update_state(sub, "STATE_FLAGGED")
            record["action"] = "flagged"
        elif status in ("canceled", "unpaid"):
            self._update_state(sub, "STATE_SUSPENDED")
            record["action"] = "suspended"
        elif status not in ("incomplete", "incomplete_expired"):
            # TBS logs an unknown status as an error and answers 200: Stripe does not retry.
            record.update(action="error", error=f"unknown subscription status `{status}`")

    @staticmethod
    def _tenant_id(sub):
        metadata = sub.get("metadata") or {}
        if "tenant-id" not in metadata:
            raise _error(errors.INVALID_ARGUMENT, "no_tenant_id", "no tenant ID set")
        return metadata["tenant-id"]

    @staticmethod
    def _limits(item, stripe):
        """max-* from the plan metadata in the event (as the TBS reads it), else the item's price metadata
        (the same object in Stripe), else the price read from the Stripe API."""
        metadata = None
        for key in ("plan", "price"):
            if isinstance(item.get(key), dict) and isinstance(item[key].get("metadata"), dict):
                metadata = item[key]["metadata"]
                break
        if metadata is None:
            metadata = _checked(stripe.get("prices", _plan_id(item)).get("metadata") or {}, dict, "price metadata")
        limits = {}
        for key, field in LIMIT_KEYS.items():
            value = metadata.get(key)
            if value is None:
                limits[field] = None
            elif isinstance(value, str) and value.isdigit() and value.isascii() and int(value) < 2**64:
                limits[field] = str(int(value))  # strconv.ParseUint(value, 10, 64)
            else:
                raise _error(errors.INVALID_ARGUMENT, "invalid_limit", "invalid value `{value}` for plan metadata `{key}`", value=value,
                             key=key)
        return limits

    def _to_tenant(self, sub, item, customer, limits):
        """toTenant: the tenant the subscription describes."""
        metadata = sub.get("metadata") or {}
        name = next((metadata[k] for k in ("tenant-name", "name", "company") if k in metadata), customer.get("name") or "")
        description = metadata.get("tenant-description", customer.get("description") or "")
        contact_info = [{
            "contact_type": "CONTACT_TYPE_BILLING", "contact_method": "CONTACT_METHOD_EMAIL", "value": customer.get("email") or "",
            "public": False
        }]
        if "admin-email" in metadata:
            contact_info.append({
                "contact_type": "CONTACT_TYPE_TECHNICAL", "contact_method": "CONTACT_METHOD_EMAIL", "value": metadata["admin-email"],
                "public": False
            })
        tenant = {
            "ids": {"tenant_id": self._tenant_id(sub)},
            "name": name,
            "description": description,
            "contact_info": contact_info,
            "state": "STATE_APPROVED",
            "billing": {
                "stripe": {
                    "customer_id": customer.get("id", ""), "plan_id": _plan_id(item), "subscription_id": sub.get("id", ""),
                    "subscription_item_id": item.get("id", "")
                }
            },
        }
        tenant.update(limits)
        return tenant

    def _create_or_update(self, sub, item, config):
        stripe = StripeAPI(config)
        customer = stripe.get("customers", _object_id(sub.get("customer")))
        tenant = self._to_tenant(sub, item, customer, self._limits(item, stripe))
        tenant_id = tenant["ids"]["tenant_id"]
        try:
            existing = self.registry.get(tenant_id, TENANT_MASK)
        except errors.TTSError as exc:
            if exc.code != errors.NOT_FOUND:
                raise
            existing = None
        if existing is not None:
            self._check_owner(existing, customer.get("id", ""))
            self.registry.update(tenant_id, {"tenant": tenant, "field_mask": {"paths": TENANT_MASK}})
            return "updated"
        metadata = sub.get("metadata") or {}
        initial_user = {
            "ids": {"user_id": metadata.get("admin-user", tenant_id)},
            "name": metadata.get("admin-full-name", ""),
            "primary_email_address": metadata.get("admin-email",
                                                  customer.get("email") or ""),
            "state": "STATE_APPROVED",
            "password": metadata.get("admin-password", ""),
            "admin": True,
        }
        self.registry.create({"tenant": tenant, "initial_user": initial_user})
        return "created"

    def _update_state(self, sub, state):
        """updateTenantState: the tenant must exist and belong to the customer; unchanged state is not written."""
        tenant_id = self._tenant_id(sub)
        existing = self.registry.get(tenant_id, ["billing", "state"])
        self._check_owner(existing, _object_id(sub.get("customer")))
        if existing.get("state", "STATE_REQUESTED") != state:
            self.registry.update(tenant_id, {"tenant": {"state": state}, "field_mask": {"paths": ["state"]}})

    @staticmethod
    def _check_owner(existing, customer_id):
        billing = (existing.get("billing") or {}).get("stripe")
        if billing is None:
            raise _error(errors.FAILED_PRECONDITION, "tenant_not_managed", "tenant is not managed by Stripe")
        if billing.get("customer_id", "") != customer_id:
            raise _error(errors.FAILED_PRECONDITION, "customer_id_mismatch", "tenant is owned by another customer")
