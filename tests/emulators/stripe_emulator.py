"""Stripe API emulator for integration tests.

A stateful HTTP server on 127.0.0.1 that the official ``stripe`` Python SDK talks to unchanged::

    client = stripe.StripeClient("sk_test_x", base_addresses={"api": "http://127.0.0.1:PORT"})

It implements the part of the Stripe API that declarative tenant provisioning needs: customers (with
tax IDs and payment methods), products, prices, subscriptions (with items), events and webhook
endpoints whose deliveries are signed like Stripe's and retried. Request parameters are checked
against the installed SDK's generated parameter definitions (``stripe.params``), so an unknown
parameter is rejected the way real Stripe rejects it. The emulator knows nothing of Ansible.

Start it with::

    python tests/emulators/stripe_emulator.py --port 0 --port-file /tmp/stripe.port [--search-lag SECONDS]

It binds 127.0.0.1 only, writes the chosen port to ``--port-file`` (atomically, once listening) and
serves until SIGTERM or SIGINT. The control API (no auth, never logged) lives under ``/_emulator/``:

=======  ==============================  ==================================================
POST     /_emulator/reset                forget all objects, the log, faults, idempotency; config back to
                                        its start value (``search_lag`` 0 unless ``--search-lag``)
GET      /_emulator/config               ``{"search_lag": SECONDS}``
POST     /_emulator/config               ``{"search_lag": SECONDS}`` merges the given keys, returns the config
POST     /_emulator/log/clear            forget the request log (and so the counters)
GET      /_emulator/requests             ``{"requests": [{seq, method, path, query, ...}]}``
GET      /_emulator/counters             ``{"total", "reads", "writes", "by_status"}``
GET      /_emulator/faults               ``{"faults": [...]}`` (pending faults)
POST     /_emulator/faults               ``{"faults": [FAULT, ...]}`` appends
DELETE   /_emulator/faults               clears faults
GET      /_emulator/webhook_deliveries   ``{"deliveries": [{event_id, url, status, ...}]}``
GET      /_emulator/health               ``{"ok": true}``
=======  ==============================  ==================================================

A FAULT applies to the next ``count`` API requests that match its optional ``method`` and ``path``
(a prefix; with ``"path_exact": true`` the whole path, so ``/v1/subscriptions`` is creates only, not
``/v1/subscriptions/sub_...``): ``{"type": "status", "status": 429, "code": "rate_limit", "retry_after": 1,
"should_retry": null, "echo_request": false}``, ``{"type": "delay", "seconds": 0.5}`` or ``{"type": "drop_response"}``
(the request is performed and its idempotency record kept, then the connection is closed without
a response). Status faults answer before the idempotency layer, so nothing is saved for them. A delay
counts as processing time: the request's idempotency key is in flight from its arrival, across the delay,
until it is answered. With ``echo_request`` a status fault's error message repeats the request (method, URL,
``Authorization`` header and body), as a misbehaving gateway or a debugging proxy might: a client must keep such a
message out of its output.

Search lag: with ``search_lag`` N > 0, ``GET /v1/subscriptions/search`` answers from the index as it was N
seconds ago (Stripe's search is usually under a minute behind, up to an hour in incidents): a subscription
created less than N s ago is missing, one changed less than N s ago (metadata, status, cancel, items, ...) is
matched and returned as its version before that change. The index keeps the last 16 versions of each
subscription. Retrieve and list stay strongly consistent. Search pages are newest first; ``next_page`` is an
opaque cursor that is only valid with the query that returned it (and until a reset): any other ``page`` is a
400 ``invalid_request_error`` with param ``page`` (the message is the emulator's; Stripe's was not found).

Idempotency as in Stripe: results are saved per (API key, ``Idempotency-Key``) once an endpoint runs; a replay
with other parameters is a 400 ``idempotency_error``. A request whose key belongs to a request still being
processed is answered 409, ``invalid_request_error`` with code ``idempotency_key_in_use`` and Stripe's message
("There is currently another in-progress request using this Idempotent Key ...", as Stripe's responses show
it) whatever its parameters, and nothing is saved for it: once the first request is answered, the same key
replays its result. The SDK and the collection retry 409.

Request log entries: ``seq, method, path, query`` (flat dict of the raw query string), ``params`` (flat
dict of the raw form body), ``status`` (for a dropped response: the status that was not sent),
``idempotency_key``, ``fault`` (null or the fault type), ``replayed``, ``request_id``.

Deliberate simplifications: objects are shared by all API keys (``livemode`` follows the key); no
invoices (``latest_invoice`` is null), search other than subscriptions by metadata and status (with no
indexing delay unless ``search_lag`` is set), price_data, custom_unit_amount or coupons (tiered prices are
stored and returned, their ``tiers`` only with ``expand[]=tiers`` as in Stripe, but never billed); webhook URLs may be plain
http on 127.0.0.1 (real Stripe wants public https); subscriptions never age (no
incomplete_expired / past_due transitions except ending a trial without a way to pay). Validation
failures (unknown, missing or malformed parameters) are not saved for idempotent replay, as in Stripe.
"""
# pylint: disable=too-many-lines

import argparse
import base64
import copy
import hashlib
import heapq
import hmac
import json
import operator
import os
import re
import secrets
import signal
import socket
import string
import sys
import threading
import time
import traceback
import types
import typing
import urllib.error
import urllib.request
from calendar import monthrange
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

import stripe
import stripe.params

DEFAULT_API_VERSION = stripe.api_version
# API versions before this one carry current_period_* (and plan/quantity) on the subscription itself.
PERIODS_ON_ITEMS_SINCE = "2025-03-31"
# Since this version a metered price must name a Billing Meter (basil removed legacy usage-based billing).
METERED_NEEDS_METER_SINCE = "2025-03-31"
METER_EVENT_IDENTIFIER_WINDOW = 24 * 3600  # Stripe enforces an identifier's uniqueness for at least 24 hours
METER_EVENT_PAST = 35 * 86400  # a meter event's timestamp: within the past 35 days ...
METER_EVENT_FUTURE = 300  # ... or up to 5 minutes ahead
KEY_PREFIXES = ("sk_test_", "sk_live_", "rk_")
LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")
TERMINAL_STATUSES = ("canceled", "incomplete_expired")
WEBHOOK_BACKOFF = (0.2, 0.5, 1.0, 2.0)
WEBHOOK_MAX_ATTEMPTS = len(WEBHOOK_BACKOFF) + 1
WEBHOOK_TIMEOUT = 5.0
MAX_SUBSCRIPTION_ITEMS = 20
ID_LENGTHS = {"cus": 14, "prod": 14, "si": 14}
ALNUM = string.ascii_letters + string.digits
OBJECT_KINDS = {"cus": "customer", "prod": "product", "price": "price", "sub": "subscription", "si": "subscription item",
                "txi": "tax_id", "pm": "PaymentMethod", "evt": "event", "we": "webhook endpoint", "mtr": "billing meter"}

# Test-mode PaymentMethod tokens: brand, last4, funding, whether charges are declined.
CARD_TOKENS = {
    "pm_card_visa": ("visa", "4242", "credit", False),
    "pm_card_visa_debit": ("visa", "5556", "debit", False),
    "pm_card_mastercard": ("mastercard", "4444", "credit", False),
    "pm_card_amex": ("amex", "8431", "credit", False),
    "pm_card_discover": ("discover", "1117", "credit", False),
    "pm_card_chargeDeclined": ("visa", "0002", "credit", True),
    "pm_card_chargeCustomerFail": ("visa", "0341", "credit", True),
}
# Tokens whose attachment itself is declined.
ATTACH_DECLINED_TOKENS = ("pm_card_visa_chargeDeclined",)

EU_VAT_RE = re.compile(r"^(AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)[0-9A-Z+*]{2,12}$")
TAX_ID_PATTERNS = {
    "eu_vat": EU_VAT_RE,
    "gb_vat": re.compile(r"^GB(\d{9}|\d{12}|GD\d{3}|HA\d{3})$"),
    "us_ein": re.compile(r"^\d{2}-?\d{7}$"),
    "ch_vat": re.compile(r"^CHE-?\d{3}\.?\d{3}\.?\d{3}( ?(MWST|TVA|IVA))?$"),
    "no_vat": re.compile(r"^\d{9}MVA$"),
    "au_abn": re.compile(r"^\d{11}$"),
}
VERIFIED_TAX_ID_TYPES = ("eu_vat", "gb_vat", "au_abn")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")

RATE_LIMIT_MESSAGE = ("Request rate limit exceeded. Learn more about rate limits here "
                      "https://stripe.com/docs/rate-limits.")
LOCK_TIMEOUT_MESSAGE = ("This object cannot be accessed right now because another API request or Stripe process is "
                        "currently accessing it. If you see this error intermittently, retry the request. If you see "
                        "this error frequently and are making multiple concurrent requests to a single object, make "
                        "your requests serially or at a lower rate. See https://stripe.com/docs/rate-limits for more "
                        "information.")
NO_PAYMENT_METHOD_MESSAGE = ("This customer has no attached payment source or default payment method. Please consider "
                             "adding a default payment method. For more information, visit "
                             "https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.")
# Stripe's wording as seen in API responses (type invalid_request_error, code idempotency_key_in_use, HTTP 409).
IDEMPOTENCY_IN_USE_MESSAGE = ("There is currently another in-progress request using this Idempotent Key (that probably "
                              "means you submitted twice, and the other request is still going through): {key}. Please "
                              "try again later.")
# The emulator's wording: Stripe's own message for a bad search cursor was not found.
INVALID_PAGE_MESSAGE = ("Invalid page: '{page}' is not a next_page returned by a search with this query. Start again "
                        "without page.")
SEARCH_HISTORY = 16
MAX_SEARCH_LAG = 3600
IDEMPOTENCY_MISMATCH_MESSAGE = ("Keys for idempotent requests can only be used with the same parameters they were first "
                                "used with. Try using a key other than '{key}' if you meant to execute a different "
                                "request.")


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

def now():
    """The current Unix time."""
    return int(time.time())


def random_chars(length):
    """Random letters and digits, as in Stripe object IDs."""
    return "".join(secrets.choice(ALNUM) for _position in range(length))


def new_id(prefix):
    """A Stripe-looking object ID such as ``cus_...``."""
    return f"{prefix}_{random_chars(ID_LENGTHS.get(prefix, 24))}"


def public(obj):
    """A deep copy of an internal object without its private (``_``) keys."""
    return {key: copy.deepcopy(value) for key, value in obj.items() if not key.startswith("_")}


def address(given):
    """An address sub-object from parameters; ``""`` (unset) gives ``None``."""
    if not given:
        return None
    return {key: given.get(key) or None for key in ADDRESS_KEYS}


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


def diff_attributes(before, after):
    """Stripe's ``previous_attributes``: old values of the top-level fields that changed."""
    previous = {}
    for key, old in before.items():
        new = after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and old.get("object") != "list":
            previous[key] = {sub: old.get(sub) for sub in list(old) + [k for k in new if k not in old]
                             if old.get(sub) != new.get(sub)}
        else:
            previous[key] = old
    return previous


def legacy_subscription(sub):
    """Add the fields that API versions before 2025-03-31 carry on the subscription itself."""
    items = sub.get("items", {}).get("data") or []
    if items:
        sub.setdefault("current_period_start", items[0]["current_period_start"])
        sub.setdefault("current_period_end", items[0]["current_period_end"])
    if len(items) == 1:
        sub.setdefault("plan", copy.deepcopy(items[0]["plan"]))
        sub.setdefault("quantity", items[0]["quantity"])
    else:
        sub.setdefault("plan", None)
        sub.setdefault("quantity", None)


def apply_legacy_shapes(node, api_version):
    """Rewrite subscriptions anywhere in a response for an API version that predates periods on items."""
    if api_version[:10] >= PERIODS_ON_ITEMS_SINCE:
        return
    if isinstance(node, list):
        for child in node:
            apply_legacy_shapes(child, api_version)
    elif isinstance(node, dict):
        for child in node.values():
            apply_legacy_shapes(child, api_version)
        if node.get("object") == "subscription" and "items" in node:
            legacy_subscription(node)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

class ApiError(Exception):
    """A Stripe error response. Saved for idempotent replay (the endpoint started executing)."""

    stored = True

    def __init__(self, status, message, kind="invalid_request_error", code=None, param=None, **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.code = code
        self.param = param
        self.extra = extra

    def body(self):
        """The JSON body Stripe sends for this error."""
        error = {"message": self.message, "type": self.kind}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


class ParamError(ApiError):
    """A request that failed validation before any endpoint ran: Stripe saves no idempotent result."""

    stored = False

    def __init__(self, message, code=None, param=None, status=400):
        super().__init__(status, message, code=code, param=param)


def missing(kind, object_id, param="id", status=404):
    """Stripe's ``resource_missing`` error."""
    return ApiError(status, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def invalid_empty(param):
    """Stripe's error for an empty string where a value cannot be unset."""
    return ParamError(f"You passed an empty string for '{param}'. We assume empty values are an attempt to unset a "
                      f"parameter; however '{param}' cannot be unset. You should remove '{param}' from your request "
                      "or supply a non-empty value.", code="parameter_invalid_empty", param=param)


def exclusive(*params):
    """Stripe's error for parameters that exclude each other."""
    return ParamError(f"You may only specify one of these parameters: {', '.join(params)}.",
                      code="parameters_exclusive", param=params[-1])


def required(param):
    """Stripe's error for a missing required parameter."""
    return ParamError(f"Missing required param: {param}.", code="parameter_missing", param=param)


# ---------------------------------------------------------------------------------------------
# Request parameters: decoding and checking against the SDK's generated TypedDicts
# ---------------------------------------------------------------------------------------------

_KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT_RE = re.compile(r"\[([^\[\]]*)\]")
_INT_RE = re.compile(r"^-?\d+$")


def decode_params(pairs):
    """Form/query pairs in Stripe's bracket notation to nested dicts (list indices stay string keys)."""
    root = {}
    for raw_key, value in pairs:
        match = _KEY_RE.match(raw_key)
        if match:
            path = [match.group(1)] + _SEGMENT_RE.findall(match.group(2))
        elif "[" in raw_key[1:] and raw_key.endswith("]"):
            # a key that itself contains brackets, e.g. metadata[a[b]]
            cut = raw_key.index("[")
            path = [raw_key[:cut], raw_key[cut + 1:-1]]
        else:
            path = [raw_key]
        node = root
        for depth, segment in enumerate(path):
            if segment == "" and depth:
                segment = str(len(node))
            if depth == len(path) - 1:
                if isinstance(node.get(segment), dict):
                    raise ParamError(f"Invalid value for {raw_key}: it is also given as an object or array.", param=raw_key)
                node[segment] = value
                break
            child = node.setdefault(segment, {})
            if not isinstance(child, dict):
                raise ParamError(f"Invalid value for {raw_key}: {path[0]} is also given as a string.", param=path[0])
            node = child
    return root


class Spec:  # pylint: disable=too-few-public-methods
    """What one parameter accepts, compiled from its annotation in ``stripe.params``."""

    def __init__(self):
        self.literals = set()
        self.scalars = set()
        self.empty_ok = False
        self.typed = None
        self.item = None
        self.is_map = False
        self.any = False


_WRAPPERS = (typing.NotRequired, typing.Required, typing.Annotated)
_FIELDS_CACHE = {}
_EXPAND_SPEC = Spec()
_EXPAND_SPEC.item = Spec()
_EXPAND_SPEC.item.scalars.add(str)


def _is_typeddict(obj):
    return isinstance(obj, type) and issubclass(obj, dict) and hasattr(obj, "__required_keys__")


def _is_map_type(obj):
    if obj in (dict, Mapping):
        return True
    return isinstance(obj, type) and any(base.__name__ == "StripeObject" for base in obj.__mro__)


def _resolve(annotation, namespace):
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if not isinstance(annotation, str):
        return annotation

    def holder():
        """Carries the annotation for typing.get_type_hints."""

    holder.__annotations__ = {"value": annotation}
    try:
        return typing.get_type_hints(holder, globalns=namespace, include_extras=True)["value"]
    except (NameError, TypeError, SyntaxError):
        return typing.Any


def _compile(annotation, namespace, spec):
    annotation = _resolve(annotation, namespace)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in _WRAPPERS:
        _compile(args[0], namespace, spec)
    elif origin in (typing.Union, types.UnionType):
        for arg in args:
            _compile(arg, namespace, spec)
    elif origin is typing.Literal:
        for value in args:
            if value == "":
                spec.empty_ok = True
            else:
                spec.literals.add(str(value))
    elif origin in (list, tuple, Sequence):
        spec.item = spec.item or Spec()
        _compile(args[0] if args else typing.Any, namespace, spec.item)
    elif _is_typeddict(annotation):
        spec.typed = annotation
    elif _is_map_type(origin) or _is_map_type(annotation):
        spec.is_map = True
    elif annotation in (str, int, float, bool, Decimal):
        spec.scalars.add(annotation)
    elif annotation is not types.NoneType:
        spec.any = True
    return spec


def _typeddict_annotations(typed):
    """Each key of a params TypedDict with (annotation, namespace of the defining module); SDK request
    options (api_key, idempotency_key, ...) that some params classes inherit are not parameters."""
    inherited, skipped = {}, set()
    for base in getattr(typed, "__orig_bases__", ()):
        if not _is_typeddict(base):
            continue
        if base.__name__ == "RequestOptions":
            skipped.update(base.__annotations__)
        else:
            inherited.update(_typeddict_annotations(base))
    namespace = vars(sys.modules[typed.__module__])
    return {key: inherited.get(key, (annotation, namespace))
            for key, annotation in typed.__annotations__.items() if key not in skipped}


def _fields(typed):
    fields = _FIELDS_CACHE.get(typed)
    if fields is None:
        fields = {key: (_compile(annotation, namespace, Spec()), key in typed.__required_keys__)
                  for key, (annotation, namespace) in _typeddict_annotations(typed).items()}
        _FIELDS_CACHE[typed] = fields
    return fields


def _check_scalar(value, spec, name, is_required):  # pylint: disable=too-many-return-statements,too-many-branches
    if value == "":
        if spec.empty_ok or (not is_required and not spec.literals and (str in spec.scalars or spec.item)):
            return ""
        raise invalid_empty(name)
    if value in spec.literals:
        return value
    if int in spec.scalars and _INT_RE.match(value):
        return int(value)
    if bool in spec.scalars and value in ("true", "false"):
        return value == "true"
    if Decimal in spec.scalars or float in spec.scalars:
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite():
            return value if Decimal in spec.scalars else float(number)
    if str in spec.scalars and not spec.literals:
        return value
    if spec.literals:
        choices = sorted(spec.literals)
        listed = ", ".join(choices[:-1]) + (", or " if len(choices) > 2 else " or ") + choices[-1] if len(choices) > 1 else choices[0]
        raise ParamError(f"Invalid {name}: must be one of {listed}", param=name)
    if int in spec.scalars:
        raise ParamError(f"Invalid integer: {value}", code="parameter_invalid_integer", param=name)
    if bool in spec.scalars:
        raise ParamError(f"Invalid boolean: {value}", param=name)
    if Decimal in spec.scalars or float in spec.scalars:
        raise ParamError(f"Invalid decimal: {value}", param=name)
    raise ParamError(f"Invalid {'array' if spec.item else 'object'}", param=name)


def _check(value, spec, name, is_required):
    if spec.any:
        return value
    if isinstance(value, str):
        return _check_scalar(value, spec, name, is_required)
    if spec.item is not None and all(key.isdigit() for key in value):
        return [_check(value[key], spec.item, f"{name}[{key}]", False) for key in sorted(value, key=int)]
    if spec.typed is not None:
        return _check_fields(value, _fields(spec.typed), name)
    if spec.is_map:
        return value
    if spec.item is not None:
        raise ParamError("Invalid array", param=name)
    kind = "integer" if int in spec.scalars else "boolean" if bool in spec.scalars else "string"
    raise ParamError(f"Invalid {kind}: an object was given", param=name)


def _check_fields(given, fields, prefix):
    checked = {}
    for key, value in given.items():
        name = f"{prefix}[{key}]" if prefix else key
        if key not in fields:
            raise ParamError(f"Received unknown parameter: {name}", code="parameter_unknown", param=name)
        spec, is_required = fields[key]
        checked[key] = _check(value, spec, name, is_required)
    for key, (_spec, is_required) in fields.items():
        if is_required and key not in given:
            raise required(f"{prefix}[{key}]" if prefix else key)
    return checked


def check_params(class_name, params):
    """Validate decoded parameters against ``stripe.params.<class_name>`` (``billing.X`` for a sub-package); returns
    typed values."""
    typed = stripe.params
    for part in (class_name or "").split("."):
        typed = getattr(typed, part, None) if part else None
    fields = dict(_fields(typed)) if typed is not None else {}
    fields.setdefault("expand", (_EXPAND_SPEC, False))
    return _check_fields(params, fields, "")


def apply_metadata(current, given, param="metadata"):
    """Stripe's metadata update: merge; a key set to "" is removed; ``metadata=""`` clears all."""
    if given is None:
        return dict(current)
    if given == "":
        return {}
    if not isinstance(given, dict):
        raise ParamError("Invalid object", param=param)
    merged = dict(current)
    for key, value in given.items():
        if not isinstance(value, str):
            raise ParamError(f"Invalid value for {param}[{key}]: metadata values must be strings.", param=f"{param}[{key}]")
        if len(key) > 40:
            raise ParamError(f"Metadata keys can have up to 40 characters, but you passed in a key with {len(key)} "
                             f"characters: '{key}'", param=param)
        if "[" in key or "]" in key or not key:
            raise ParamError(f"Invalid metadata key '{key}': metadata keys must be non-empty and can't contain '[' or ']'.",
                             param=param)
        if len(value) > 500:
            raise ParamError(f"Metadata values can have up to 500 characters, but you passed in a value with {len(value)} "
                             f"characters for the key '{key}'.", param=f"{param}[{key}]")
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > 50:
        raise ParamError(f"Invalid {param}: metadata can have at most 50 keys, but this request would set "
                         f"{len(merged)} keys.", param=param)
    return merged


def not_empty(params, *names):
    """Reject ``""`` for parameters that can be given but not unset."""
    for name in names:
        if params.get(name) == "":
            raise invalid_empty(name)


def created_filter(objects, created):
    """Apply a list endpoint's ``created`` filter (exact or gt/gte/lt/lte)."""
    if created is None:
        return objects
    if isinstance(created, int):
        return [obj for obj in objects if obj["created"] == created]
    ops = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
    return [obj for obj in objects if all(ops[op](obj["created"], bound) for op, bound in created.items())]


# ---------------------------------------------------------------------------------------------
# Webhook deliveries
# ---------------------------------------------------------------------------------------------

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
        job = {"endpoint_id": endpoint["id"], "url": endpoint["url"], "secret": endpoint["secret"],
               "event_id": event["id"], "event_type": event["type"], "body": body, "attempt": 1}
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
                    "event_id": job["event_id"], "event_type": job["event_type"], "endpoint_id": job["endpoint_id"],
                    "url": job["url"], "attempt": job["attempt"], "status": status, "error": error,
                    "succeeded": succeeded, "at": time.time()})
                if not succeeded and job["attempt"] < WEBHOOK_MAX_ATTEMPTS:
                    delay = WEBHOOK_BACKOFF[job["attempt"] - 1]
                    self._push(time.monotonic() + delay, dict(job, attempt=job["attempt"] + 1))

    def _post(self, job):
        timestamp = int(time.time())
        signature = hmac.new(job["secret"].encode(), f"{timestamp}.".encode() + job["body"], hashlib.sha256).hexdigest()
        request = urllib.request.Request(job["url"], data=job["body"], method="POST", headers={
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


# ---------------------------------------------------------------------------------------------
# The emulator: state, request pipeline, control API and one handler per endpoint
# ---------------------------------------------------------------------------------------------

SEARCH_CLAUSE = re.compile(r"^(?:metadata\[['\"](?P<key>[^'\"]+)['\"]\]|(?P<field>status)):['\"](?P<value>[^'\"]*)['\"]$")


class Route:  # pylint: disable=too-few-public-methods
    """One API endpoint: method, path pattern, handler method name and SDK params class."""

    def __init__(self, method, pattern, handler, params):
        self.method = method
        self.regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
        self.handler = handler
        self.params = params


ROUTES = [Route(*spec) for spec in (
    ("GET", "/v1/account", "account_retrieve", "AccountRetrieveCurrentParams"),
    ("GET", "/v1/customers/search", "search_unsupported", "CustomerSearchParams"),
    ("GET", "/v1/customers", "customers_list", "CustomerListParams"),
    ("POST", "/v1/customers", "customers_create", "CustomerCreateParams"),
    ("GET", "/v1/customers/{customer}", "customers_retrieve", "CustomerRetrieveParams"),
    ("POST", "/v1/customers/{customer}", "customers_update", "CustomerUpdateParams"),
    ("DELETE", "/v1/customers/{customer}", "customers_delete", "CustomerDeleteParams"),
    ("GET", "/v1/customers/{customer}/tax_ids", "tax_ids_list", "CustomerTaxIdListParams"),
    ("POST", "/v1/customers/{customer}/tax_ids", "tax_ids_create", "CustomerTaxIdCreateParams"),
    ("GET", "/v1/customers/{customer}/tax_ids/{id}", "tax_ids_retrieve", "CustomerTaxIdRetrieveParams"),
    ("DELETE", "/v1/customers/{customer}/tax_ids/{id}", "tax_ids_delete", "CustomerTaxIdDeleteParams"),
    ("GET", "/v1/customers/{customer}/payment_methods", "customer_payment_methods_list", "CustomerPaymentMethodListParams"),
    ("GET", "/v1/customers/{customer}/payment_methods/{payment_method}", "customer_payment_methods_retrieve",
     "CustomerPaymentMethodRetrieveParams"),
    ("POST", "/v1/payment_methods", "payment_methods_create", "PaymentMethodCreateParams"),
    ("GET", "/v1/payment_methods/{payment_method}", "payment_methods_retrieve", "PaymentMethodRetrieveParams"),
    ("POST", "/v1/payment_methods/{payment_method}/attach", "payment_methods_attach", "PaymentMethodAttachParams"),
    ("POST", "/v1/payment_methods/{payment_method}/detach", "payment_methods_detach", "PaymentMethodDetachParams"),
    ("GET", "/v1/products/search", "search_unsupported", "ProductSearchParams"),
    ("GET", "/v1/products", "products_list", "ProductListParams"),
    ("POST", "/v1/products", "products_create", "ProductCreateParams"),
    ("GET", "/v1/products/{id}", "products_retrieve", "ProductRetrieveParams"),
    ("POST", "/v1/products/{id}", "products_update", "ProductUpdateParams"),
    ("DELETE", "/v1/products/{id}", "products_delete", "ProductDeleteParams"),
    ("GET", "/v1/prices/search", "search_unsupported", "PriceSearchParams"),
    ("GET", "/v1/prices", "prices_list", "PriceListParams"),
    ("POST", "/v1/prices", "prices_create", "PriceCreateParams"),
    ("GET", "/v1/prices/{price}", "prices_retrieve", "PriceRetrieveParams"),
    ("POST", "/v1/prices/{price}", "prices_update", "PriceUpdateParams"),
    ("GET", "/v1/subscriptions/search", "subscriptions_search", "SubscriptionSearchParams"),
    ("GET", "/v1/subscriptions", "subscriptions_list", "SubscriptionListParams"),
    ("POST", "/v1/subscriptions", "subscriptions_create", "SubscriptionCreateParams"),
    ("GET", "/v1/subscriptions/{subscription}", "subscriptions_retrieve", "SubscriptionRetrieveParams"),
    ("POST", "/v1/subscriptions/{subscription}", "subscriptions_update", "SubscriptionUpdateParams"),
    ("DELETE", "/v1/subscriptions/{subscription}", "subscriptions_cancel", "SubscriptionCancelParams"),
    ("GET", "/v1/subscription_items", "subscription_items_list", "SubscriptionItemListParams"),
    ("GET", "/v1/subscription_items/{item}", "subscription_items_retrieve", "SubscriptionItemRetrieveParams"),
    ("GET", "/v1/events", "events_list", "EventListParams"),
    ("GET", "/v1/events/{id}", "events_retrieve", "EventRetrieveParams"),
    ("GET", "/v1/webhook_endpoints", "webhook_endpoints_list", "WebhookEndpointListParams"),
    ("POST", "/v1/webhook_endpoints", "webhook_endpoints_create", "WebhookEndpointCreateParams"),
    ("GET", "/v1/webhook_endpoints/{webhook_endpoint}", "webhook_endpoints_retrieve", "WebhookEndpointRetrieveParams"),
    ("POST", "/v1/webhook_endpoints/{webhook_endpoint}", "webhook_endpoints_update", "WebhookEndpointUpdateParams"),
    ("DELETE", "/v1/webhook_endpoints/{webhook_endpoint}", "webhook_endpoints_delete", "WebhookEndpointDeleteParams"),
    ("GET", "/v1/billing/meters", "meters_list", "billing.MeterListParams"),
    ("POST", "/v1/billing/meters", "meters_create", "billing.MeterCreateParams"),
    ("GET", "/v1/billing/meters/{id}", "meters_retrieve", "billing.MeterRetrieveParams"),
    ("POST", "/v1/billing/meters/{id}", "meters_update", "billing.MeterUpdateParams"),
    ("POST", "/v1/billing/meters/{id}/deactivate", "meters_deactivate", "billing.MeterDeactivateParams"),
    ("POST", "/v1/billing/meters/{id}/reactivate", "meters_reactivate", "billing.MeterReactivateParams"),
    ("GET", "/v1/billing/meters/{id}/event_summaries", "meter_event_summaries", "billing.MeterListEventSummariesParams"),
    ("POST", "/v1/billing/meter_events", "meter_events_create", "billing.MeterEventCreateParams"),
)]


def bearer(header):
    """The API key from an ``Authorization: Bearer`` header, or None."""
    if not header or not header.startswith("Bearer "):
        return None
    return header[len("Bearer "):].strip() or None


def auth_error(api_key):
    """Stripe's 401 body for a missing or unusable API key."""
    if api_key is None:
        message = ("You did not provide an API key. You need to provide your API key in the Authorization header, "
                   "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication "
                   "for details, or we can help at https://support.stripe.com/.")
    else:
        shown = api_key[:8] + "*" * max(len(api_key) - 12, 0) + api_key[-4:] if len(api_key) > 12 else api_key
        message = f"Invalid API Key provided: {shown}"
    return {"error": {"message": message, "type": "invalid_request_error"}}


class Call:  # pylint: disable=too-few-public-methods,too-many-instance-attributes
    """An incoming API request, before authentication and validation."""

    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path
        self.query = query
        self.text = body.decode("utf-8", errors="replace")
        self.request_id = "req_" + random_chars(14)
        self.idempotency_key = headers.get("Idempotency-Key")
        self.api_version = headers.get("Stripe-Version") or DEFAULT_API_VERSION
        self.authorization = headers.get("Authorization")
        self.api_key = bearer(self.authorization)


class Request:  # pylint: disable=too-few-public-methods
    """An authenticated, validated API request as the handlers see it."""

    def __init__(self, params, args, call):
        self.params = params
        self.args = args
        self.request_id = call.request_id
        self.idempotency_key = call.idempotency_key
        self.livemode = call.api_key.startswith(LIVE_KEY_PREFIXES)
        self.api_version = call.api_version


class Response:  # pylint: disable=too-few-public-methods
    """What the HTTP layer writes back (or, with ``drop``, does not)."""

    def __init__(self, status, payload, headers=(), drop=False):
        self.status = status
        self.body = json.dumps(payload, indent=2).encode() + b"\n"
        self.headers = list(headers)
        self.drop = drop


def check_search_lag(value):
    """A search lag in seconds from the control API or the command line; raises ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_SEARCH_LAG:
        raise ValueError(f"search_lag must be a number of seconds between 0 and {MAX_SEARCH_LAG}")
    return float(value)


def normalize_fault(raw):
    """Validate one control-API fault; raises ValueError with a readable message."""
    if not isinstance(raw, dict):
        raise ValueError("each fault must be a JSON object")
    kind = raw.get("type")
    allowed = {"type", "count", "method", "path", "path_exact"} | {
        "status": {"status", "code", "retry_after", "should_retry", "echo_request"}, "delay": {"seconds"},
        "drop_response": set()}.get(kind, set())
    if kind not in ("status", "delay", "drop_response"):
        raise ValueError("fault type must be status, delay or drop_response")
    unknown = set(raw) - allowed
    if unknown:
        raise ValueError(f"unknown fault fields: {sorted(unknown)}")
    count = raw.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError("count must be a positive integer")
    if raw.get("path_exact") not in (None, True, False):
        raise ValueError("path_exact must be true or false")
    if raw.get("path_exact") and not raw.get("path"):
        raise ValueError("path_exact needs a path")
    fault = {"type": kind, "count": count, "method": (raw.get("method") or "").upper() or None, "path": raw.get("path"),
             "path_exact": bool(raw.get("path_exact"))}
    if kind == "status":
        status = raw.get("status")
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if raw.get("code") not in (None, "rate_limit", "lock_timeout"):
            raise ValueError("code must be rate_limit, lock_timeout or null")
        if raw.get("should_retry") not in (None, True, False):
            raise ValueError("should_retry must be true, false or null")
        retry_after = raw.get("retry_after")
        if retry_after is not None and (not isinstance(retry_after, (int, float)) or retry_after < 0):
            raise ValueError("retry_after must be a non-negative number")
        if raw.get("echo_request") not in (None, True, False):
            raise ValueError("echo_request must be true or false")
        fault.update(status=status, code=raw.get("code"), retry_after=retry_after, should_retry=raw.get("should_retry"),
                     echo_request=bool(raw.get("echo_request")))
    elif kind == "delay":
        seconds = raw.get("seconds")
        if not isinstance(seconds, (int, float)) or not 0 <= seconds <= 60:
            raise ValueError("seconds must be a number between 0 and 60")
        fault["seconds"] = seconds
    return fault


def fault_response(fault, call):
    """Body and extra headers for a ``status`` fault."""
    status, code = fault["status"], fault["code"]
    if code == "rate_limit":
        error = ApiError(status, RATE_LIMIT_MESSAGE, code="rate_limit")
    elif code == "lock_timeout":
        error = ApiError(status, LOCK_TIMEOUT_MESSAGE, code="lock_timeout")
    elif status >= 500:
        error = ApiError(status, "An unknown error occurred (fault injected by the Stripe emulator).", kind="api_error")
    else:
        error = ApiError(status, "Error injected by the Stripe emulator.")
    if fault["echo_request"]:
        error.message += f" Request: {call.method} {call.path}?{call.query} Authorization: {call.authorization} Body: {call.text}"
    headers = []
    if fault["retry_after"] is not None:
        headers.append(("Retry-After", str(fault["retry_after"])))
    if fault["should_retry"] is not None:
        headers.append(("Stripe-Should-Retry", "true" if fault["should_retry"] else "false"))
    return error.body(), headers


class Emulator:  # pylint: disable=too-many-instance-attributes,too-many-public-methods
    """All state and behaviour; the HTTP layer only moves bytes."""

    def __init__(self, search_lag=0.0):
        self.lock = threading.RLock()
        self.webhooks = WebhookDispatcher()
        self.initial_config = {"search_lag": float(search_lag)}
        self._reset_state()

    def _reset_state(self):
        self.customers = {}
        self.tax_ids = {}
        self.payment_methods = {}
        self.products = {}
        self.prices = {}
        self.subscriptions = {}
        self.items = {}
        self.events = {}
        self.endpoints = {}
        self.meters = {}
        self.meter_events = []
        self.idempotency = {}
        self.in_flight = set()
        self.config = dict(self.initial_config)
        self.search_history = {}
        self.page_secret = secrets.token_bytes(16)
        self.faults = []
        self.log = []
        self.log_seq = 0
        self.object_seq = 0
        self.seq_index = {}
        self.account = {"id": "acct_" + random_chars(16), "object": "account", "business_profile": {"name": "Stripe emulator"},
                        "charges_enabled": True, "country": "NL", "default_currency": "eur", "details_submitted": True,
                        "email": "billing@example.com", "payouts_enabled": True, "type": "standard"}

    def close(self):
        """Stop background work."""
        self.webhooks.stop()

    # -- HTTP entry ----------------------------------------------------------------------------

    def handle(self, method, target, headers, body):
        """Answer one HTTP request (control API or Stripe API)."""
        split = urlsplit(target)
        if split.path == "/_emulator" or split.path.startswith("/_emulator/"):
            return self.control(method, split.path, body)
        return self._api(Call(method, split.path, split.query, headers, body))

    def _api(self, call):
        """Authentication, faults, the request log and response headers around ``_execute``."""
        headers = [("Request-Id", call.request_id), ("Stripe-Version", call.api_version)]
        if call.idempotency_key and call.method != "GET":
            headers.append(("Idempotency-Key", call.idempotency_key))
        entry = {"method": call.method, "path": call.path, "query": dict(parse_qsl(call.query, keep_blank_values=True)),
                 "params": dict(parse_qsl(call.text, keep_blank_values=True)), "idempotency_key": call.idempotency_key,
                 "fault": None, "request_id": call.request_id, "replayed": False}
        fault = None
        if call.api_key is None or not call.api_key.startswith(KEY_PREFIXES):
            status, payload = 401, auth_error(call.api_key)
        else:
            fault = self._take_fault(call.method, call.path)
            if fault and fault["type"] == "status":
                payload, extra_headers = fault_response(fault, call)
                status = fault["status"]
            else:
                status, payload, extra_headers = self._perform(call, fault)
                entry["replayed"] = bool(extra_headers)
                if status < 400:
                    apply_legacy_shapes(payload, call.api_version)
            headers += extra_headers
        entry.update(status=status, fault=fault["type"] if fault else None)
        with self.lock:
            self.log_seq += 1
            entry["seq"] = self.log_seq
            self.log.append(entry)
        return Response(status, payload, headers, drop=bool(fault) and fault["type"] == "drop_response")

    def _perform(self, call, fault):
        """A ``delay`` fault, then ``_execute``; an idempotency key counts as in flight from arrival to answer."""
        flight = None
        if call.idempotency_key and call.method in ("POST", "DELETE") and len(call.idempotency_key) <= 255:
            flight = (call.api_key, call.idempotency_key)
        with self.lock:
            conflict = flight in self.in_flight
            if flight is not None and not conflict:
                self.in_flight.add(flight)
        try:
            if fault and fault["type"] == "delay":
                time.sleep(fault["seconds"])
            if conflict:
                # nothing is saved: the first request's result is what later replays return
                error = ApiError(409, IDEMPOTENCY_IN_USE_MESSAGE.format(key=call.idempotency_key), code="idempotency_key_in_use")
                return error.status, error.body(), []
            return self._execute(call)
        finally:
            if flight is not None and not conflict:
                with self.lock:
                    self.in_flight.discard(flight)

    def _take_fault(self, method, path):
        with self.lock:
            for fault in self.faults:
                matches_path = path == fault["path"] if fault["path_exact"] else path.startswith(fault["path"] or "")
                if (fault["method"] or method) == method and matches_path:
                    fault["count"] -= 1
                    if not fault["count"]:
                        self.faults.remove(fault)
                    return dict(fault)
        return None

    @staticmethod
    def _route(method, path):
        for route in ROUTES:
            match = route.regex.match(path)
            if match and route.method == method:
                return route, {key: unquote(value) for key, value in match.groupdict().items()}
        raise ParamError(f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can "
                         "help at https://support.stripe.com/.", status=404)

    def _replay(self, call, fingerprint):
        """The idempotency layer: (key to save the result under, or None; response to return now, or None)."""
        if not call.idempotency_key or call.method not in ("POST", "DELETE"):
            return None, None
        if len(call.idempotency_key) > 255:
            error = ParamError("Idempotency-Key must be at most 255 characters long.", param="Idempotency-Key")
            return None, (error.status, error.body(), [])
        record_key = (call.api_key, call.idempotency_key)
        saved = self.idempotency.get(record_key)
        if saved is None:
            return record_key, None
        if saved["fingerprint"] != fingerprint:
            error = ApiError(400, IDEMPOTENCY_MISMATCH_MESSAGE.format(key=call.idempotency_key), kind="idempotency_error")
            return None, (error.status, error.body(), [])
        replay_headers = [("Idempotent-Replayed", "true"), ("Original-Request", saved["request_id"])]
        return None, (saved["status"], copy.deepcopy(saved["payload"]), replay_headers)

    def _execute(self, call):
        """Idempotency, parameter checks and the endpoint, under the state lock: (status, payload, headers)."""
        pairs = parse_qsl(call.query, keep_blank_values=True) + parse_qsl(call.text, keep_blank_values=True)
        fingerprint = (call.method, call.path, tuple(sorted(pairs)))
        with self.lock:
            record_key, replay = self._replay(call, fingerprint)
            if replay is not None:
                return replay
            try:
                route, args = self._route(call.method, call.path)
                params = check_params(route.params, decode_params(pairs))
                payload = getattr(self, route.handler)(Request(params, args, call))
                if params.get("expand"):
                    self._expand(payload, params["expand"])
                status = 200
            except ApiError as err:
                if not err.stored:
                    return err.status, err.body(), []
                status, payload = err.status, err.body()
            except Exception:  # pylint: disable=broad-exception-caught
                traceback.print_exc()
                status, payload = 500, ApiError(500, "An unknown error occurred in the Stripe emulator.", kind="api_error").body()
            if record_key is not None:
                self.idempotency[record_key] = {"fingerprint": fingerprint, "status": status,
                                                "payload": copy.deepcopy(payload), "request_id": call.request_id}
            return status, payload, []

    # -- control API ---------------------------------------------------------------------------

    def control(self, method, path, body):
        """The control API under /_emulator/ (no auth, not logged)."""
        handlers = {
            ("POST", "/_emulator/reset"): self._ctl_reset,
            ("POST", "/_emulator/log/clear"): self._ctl_log_clear,
            ("GET", "/_emulator/requests"): self._ctl_requests,
            ("GET", "/_emulator/counters"): self._ctl_counters,
            ("GET", "/_emulator/faults"): self._ctl_faults_list,
            ("POST", "/_emulator/faults"): self._ctl_faults_add,
            ("DELETE", "/_emulator/faults"): self._ctl_faults_clear,
            ("GET", "/_emulator/webhook_deliveries"): self._ctl_deliveries,
            ("GET", "/_emulator/health"): lambda _data: (200, {"ok": True}),
            ("GET", "/_emulator/config"): self._ctl_config,
            ("POST", "/_emulator/config"): self._ctl_config_set,
        }
        handler = handlers.get((method, path))
        if handler is None:
            return Response(404, {"error": f"unknown control endpoint {method} {path}"})
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError:
            return Response(400, {"error": "the body must be JSON"})
        status, payload = handler(data)
        return Response(status, payload)

    def _ctl_reset(self, _data):
        with self.lock:
            self._reset_state()
            self.webhooks.reset()
        return 200, {"ok": True}

    def _ctl_log_clear(self, _data):
        with self.lock:
            self.log = []
        return 200, {"ok": True}

    def _ctl_requests(self, _data):
        with self.lock:
            return 200, {"requests": copy.deepcopy(self.log)}

    def _ctl_counters(self, _data):
        with self.lock:
            by_status = {}
            for entry in self.log:
                by_status[str(entry["status"])] = by_status.get(str(entry["status"]), 0) + 1
            reads = sum(1 for entry in self.log if entry["method"] == "GET")
            return 200, {"total": len(self.log), "reads": reads, "writes": len(self.log) - reads, "by_status": by_status}

    def _ctl_faults_list(self, _data):
        with self.lock:
            return 200, {"faults": copy.deepcopy(self.faults)}

    def _ctl_faults_add(self, data):
        raw = data.get("faults") if isinstance(data, dict) else None
        if not isinstance(raw, list):
            return 400, {"error": "expected {\"faults\": [...]}"}
        try:
            faults = [normalize_fault(item) for item in raw]
        except ValueError as err:
            return 400, {"error": str(err)}
        with self.lock:
            self.faults.extend(faults)
            return 200, {"faults": copy.deepcopy(self.faults)}

    def _ctl_faults_clear(self, _data):
        with self.lock:
            self.faults = []
        return 200, {"faults": []}

    def _ctl_config(self, _data):
        with self.lock:
            return 200, dict(self.config)

    def _ctl_config_set(self, data):
        if not isinstance(data, dict):
            return 400, {"error": "expected a JSON object such as {\"search_lag\": 5}"}
        unknown = sorted(set(data) - set(self.config))
        if unknown:
            return 400, {"error": f"unknown config keys: {unknown} (known: {sorted(self.config)})"}
        if "search_lag" in data:
            try:
                data = dict(data, search_lag=check_search_lag(data["search_lag"]))
            except ValueError as err:
                return 400, {"error": str(err)}
        with self.lock:
            self.config.update(data)
            return 200, dict(self.config)

    def _ctl_deliveries(self, _data):
        return 200, {"deliveries": self.webhooks.deliveries()}

    # -- shared machinery ------------------------------------------------------------------------

    def _store(self, table, obj):
        self.object_seq += 1
        obj["_seq"] = self.seq_index[obj["id"]] = self.object_seq
        table[obj["id"]] = obj
        return obj

    def _paginate(self, objects, params, url, render):
        """Stripe list semantics: newest first, limit 1-100, starting_after / ending_before by id."""
        limit = params.get("limit", 10)
        if not 1 <= limit <= 100:
            raise ParamError("Invalid limit: must be at least 1 and at most 100.", code="parameter_invalid_integer", param="limit")
        if params.get("starting_after") and params.get("ending_before"):
            raise exclusive("ending_before", "starting_after")
        ordered = sorted(objects, key=lambda obj: obj["_seq"], reverse=True)
        cursor_param = "starting_after" if params.get("starting_after") else "ending_before" if params.get("ending_before") else None
        if cursor_param is None:
            page, has_more = ordered[:limit], len(ordered) > limit
        else:
            cursor = params[cursor_param]
            if cursor not in self.seq_index:
                kind = OBJECT_KINDS.get(cursor.split("_")[0], "object")
                raise ApiError(400, f"No such {kind}: '{cursor}'", code="resource_missing", param=cursor_param)
            if cursor_param == "starting_after":
                rest = [obj for obj in ordered if obj["_seq"] < self.seq_index[cursor]]
                page, has_more = rest[:limit], len(rest) > limit
            else:
                rest = [obj for obj in ordered if obj["_seq"] > self.seq_index[cursor]]
                page, has_more = rest[-limit:], len(rest) > limit
        return {"object": "list", "data": [render(obj) for obj in page], "has_more": has_more, "url": url}

    def _emit(self, event_type, data_object, request, previous=None):
        """Record an Event and queue its webhook deliveries."""
        endpoints = [endpoint for endpoint in self.endpoints.values()
                     if endpoint["status"] == "enabled" and ("*" in endpoint["enabled_events"] or event_type in endpoint["enabled_events"])]
        event = {"id": new_id("evt"), "object": "event", "api_version": DEFAULT_API_VERSION, "created": now(),
                 "data": {"object": copy.deepcopy(data_object)}, "livemode": request.livemode,
                 "pending_webhooks": len(endpoints),
                 "request": {"id": request.request_id, "idempotency_key": request.idempotency_key}, "type": event_type}
        if previous is not None:
            event["data"]["previous_attributes"] = copy.deepcopy(previous)
        self._store(self.events, event)
        for endpoint in endpoints:
            payload = public(event)
            payload["api_version"] = endpoint["api_version"] or DEFAULT_API_VERSION
            apply_legacy_shapes(payload["data"]["object"], payload["api_version"])
            self.webhooks.submit(endpoint, event, json.dumps(payload, indent=2).encode())

    def _render_any(self, object_id):
        for table, render in ((self.customers, self._render_customer), (self.products, public), (self.prices, public),
                              (self.payment_methods, public), (self.subscriptions, self._render_subscription),
                              (self.items, self._render_item), (self.tax_ids, public)):
            if object_id in table:
                return render(table[object_id])
        return None

    def _expand(self, payload, paths):
        for path in paths:
            if path.count(".") > 3:
                raise ParamError(f"You cannot expand more than 4 levels of a property. Property: {path}", param="expand")
            self._expand_path(payload, path.split("."), path)

    def _expand_path(self, node, parts, path):
        if isinstance(node, list):
            for child in node:
                self._expand_path(child, parts, path)
            return
        key, rest = parts[0], parts[1:]
        if node.get("object") == "customer" and key in ("tax_ids", "subscriptions") and key not in node and not node.get("deleted"):
            node[key] = self._customer_includable(node["id"], key)
        if node.get("object") == "price" and key == "tiers" and node.get("id") in self.prices:  # included only on request
            node[key] = copy.deepcopy(self.prices[node["id"]].get("_tiers"))
        if key not in node:
            raise ParamError(f"This property cannot be expanded ({path}).", param="expand")
        value = node[key]
        if isinstance(value, str):
            expanded = self._render_any(value)
            if expanded is None:
                raise ParamError(f"This property cannot be expanded ({path}).", param="expand")
            node[key] = value = expanded
        elif value is not None and not isinstance(value, (dict, list)):
            raise ParamError(f"This property cannot be expanded ({path}).", param="expand")
        if rest and value is not None:
            self._expand_path(value, rest, path)

    def _customer_includable(self, customer_id, key):
        if key == "tax_ids":
            objects = [public(tax_id) for tax_id in sorted(self.tax_ids.values(), key=lambda obj: obj["_seq"], reverse=True)
                       if tax_id["customer"] == customer_id]
            url = f"/v1/customers/{customer_id}/tax_ids"
        else:
            objects = [self._render_subscription(sub) for sub in sorted(self.subscriptions.values(), key=lambda obj: obj["_seq"], reverse=True)
                       if sub["customer"] == customer_id and sub["status"] not in TERMINAL_STATUSES]
            url = f"/v1/customers/{customer_id}/subscriptions"
        return {"object": "list", "data": objects, "has_more": False, "total_count": len(objects), "url": url}

    # -- account and unsupported search ----------------------------------------------------------

    def account_retrieve(self, _request):
        """GET /v1/account"""
        return copy.deepcopy(self.account)

    def search_unsupported(self, _request):
        """GET /v1/customers/search, GET /v1/products/search, GET /v1/prices/search"""
        raise ApiError(400, "The Stripe emulator does not implement search (it is eventually consistent in Stripe); "
                            "use the list endpoints.")

    # -- customers ---------------------------------------------------------------------------------

    def _customer(self, customer_id, param="id", status=404, allow_deleted=False):
        customer = self.customers.get(customer_id)
        if customer is None or (customer["_deleted"] and not allow_deleted):
            raise missing("customer", customer_id, param, status)
        return customer

    @staticmethod
    def _render_customer(customer):
        if customer["_deleted"]:
            return {"deleted": True, "id": customer["id"], "object": "customer"}
        return public(customer)

    def _attached_payment_method(self, customer_id, payment_method_id, param):
        payment_method = self.payment_methods.get(payment_method_id)
        if payment_method is None:
            raise missing("PaymentMethod", payment_method_id, param, 400)
        if payment_method["customer"] != customer_id:
            raise ApiError(400, f"The customer does not have a payment method with the ID {payment_method_id}. The payment "
                                "method must be attached to the customer.", code="resource_missing", param=param)
        return payment_method

    def _apply_customer_fields(self, customer, params, new_payment_method=None):
        """Set customer fields from create/update parameters (no side effects beyond ``customer``)."""
        for field in ("name", "email", "description", "phone", "business_name", "individual_name"):
            if field in params:
                customer[field] = params[field] or None
        if params.get("email") and not EMAIL_RE.match(params["email"]):
            raise ParamError(f"Invalid email address: {params['email']}", code="email_invalid", param="email")
        if "address" in params:
            customer["address"] = address(params["address"])
        if "shipping" in params:
            shipping = params["shipping"]
            customer["shipping"] = None if shipping == "" else {
                "address": address(shipping.get("address")) or address({"country": None}), "name": shipping.get("name") or None,
                "phone": shipping.get("phone") or None}
        if "preferred_locales" in params:
            customer["preferred_locales"] = params["preferred_locales"] or []
        if "tax_exempt" in params:
            customer["tax_exempt"] = params["tax_exempt"] or "none"
        for field in ("balance", "next_invoice_sequence"):
            if field in params:
                customer[field] = params[field]
        if "invoice_prefix" in params:
            if not re.match(r"^[A-Z0-9]{3,12}$", params["invoice_prefix"]):
                raise ParamError("Invalid invoice_prefix: must be 3-12 uppercase letters or numbers.", param="invoice_prefix")
            customer["invoice_prefix"] = params["invoice_prefix"]
        if "invoice_settings" in params:
            self._apply_invoice_settings(customer, params["invoice_settings"], new_payment_method)
        customer["metadata"] = apply_metadata(customer["metadata"], params.get("metadata"))

    def _apply_invoice_settings(self, customer, given, new_payment_method):
        settings = customer["invoice_settings"]
        if "custom_fields" in given:
            fields = given["custom_fields"]
            if fields and len(fields) > 4:
                raise ParamError("You can have at most 4 custom fields.", param="invoice_settings[custom_fields]")
            settings["custom_fields"] = [{"name": field["name"], "value": field["value"]} for field in fields] if fields else None
        if "default_payment_method" in given:
            payment_method_id = given["default_payment_method"] or None
            if new_payment_method is not None and payment_method_id in (new_payment_method["id"], new_payment_method["_token"]):
                payment_method_id = new_payment_method["id"]
            elif payment_method_id is not None:
                self._attached_payment_method(customer["id"], payment_method_id, "invoice_settings[default_payment_method]")
            settings["default_payment_method"] = payment_method_id
        if "footer" in given:
            settings["footer"] = given["footer"] or None
        if "rendering_options" in given:
            options = given["rendering_options"] or {}
            rendering = settings["rendering_options"] or {"amount_tax_display": None, "template": None}
            for key in ("amount_tax_display", "template"):
                if key in options:
                    rendering[key] = options[key] or None
            settings["rendering_options"] = rendering if given["rendering_options"] else None

    def customers_create(self, request):
        """POST /v1/customers"""
        params = request.params
        customer = {
            "id": new_id("cus"), "object": "customer", "address": None, "balance": 0, "business_name": None, "created": now(),
            "currency": None, "default_source": None, "delinquent": False, "description": None, "discount": None, "email": None,
            "individual_name": None, "invoice_prefix": "".join(secrets.choice("0123456789ABCDEF") for _position in range(8)),
            "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None, "rendering_options": None},
            "livemode": request.livemode, "metadata": {}, "name": None, "next_invoice_sequence": 1, "phone": None,
            "preferred_locales": [], "shipping": None, "tax_exempt": "none", "test_clock": None, "_deleted": False}
        new_payment_method = None
        if params.get("payment_method"):
            new_payment_method = self._new_payment_method_for(params["payment_method"], customer["id"], request, "payment_method")
        self._apply_customer_fields(customer, params, new_payment_method)
        tax_ids = [self._new_tax_id(customer["id"], data, request, f"tax_id_data[{index}]")
                   for index, data in enumerate(params.get("tax_id_data") or [])]
        self._store(self.customers, customer)
        self._emit("customer.created", self._render_customer(customer), request)
        if new_payment_method is not None:
            self._store(self.payment_methods, new_payment_method)
            self._emit("payment_method.attached", public(new_payment_method), request)
        for tax_id in tax_ids:
            self._store(self.tax_ids, tax_id)
            self._emit("customer.tax_id.created", public(tax_id), request)
        return self._render_customer(customer)

    def customers_retrieve(self, request):
        """GET /v1/customers/{customer}"""
        return self._render_customer(self._customer(request.args["customer"], allow_deleted=True))

    def customers_update(self, request):
        """POST /v1/customers/{customer}"""
        customer = self._customer(request.args["customer"])
        before = self._render_customer(customer)
        updated = copy.deepcopy(customer)
        self._apply_customer_fields(updated, request.params)
        customer.update(updated)
        after = self._render_customer(customer)
        previous = diff_attributes(before, after)
        if previous:
            self._emit("customer.updated", after, request, previous)
        return after

    def customers_delete(self, request):
        """DELETE /v1/customers/{customer}"""
        customer = self._customer(request.args["customer"])
        for sub in sorted(self.subscriptions.values(), key=lambda obj: obj["_seq"]):
            if sub["customer"] == customer["id"] and sub["status"] not in TERMINAL_STATUSES:
                self._cancel_subscription(sub, request, {})
        snapshot = self._render_customer(customer)
        customer["_deleted"] = True
        self._emit("customer.deleted", snapshot, request)
        return self._render_customer(customer)

    def customers_list(self, request):
        """GET /v1/customers"""
        params = request.params
        customers = [customer for customer in self.customers.values() if not customer["_deleted"]]
        if "email" in params:
            customers = [customer for customer in customers if customer["email"] == params["email"]]
        customers = created_filter(customers, params.get("created"))
        return self._paginate(customers, params, "/v1/customers", self._render_customer)

    # -- tax IDs -----------------------------------------------------------------------------------

    @staticmethod
    def _new_tax_id(customer_id, data, request, prefix=""):
        def name(field):
            return f"{prefix}[{field}]" if prefix else field

        tax_type, value = data["type"], data["value"]
        if not value:
            raise invalid_empty(name("value"))
        pattern = TAX_ID_PATTERNS.get(tax_type)
        normalized = re.sub(r"[\s]", "", value).upper()
        if pattern is not None and not pattern.match(normalized):
            raise ParamError(f"Invalid value for {tax_type}.", code="tax_id_invalid", param=name("value"))
        if tax_type == "eu_vat":
            country = {"EL": "GR", "XI": "GB"}.get(normalized[:2], normalized[:2])
        else:
            country = tax_type.split("_")[0].upper()
        return {"id": new_id("txi"), "object": "tax_id", "country": country, "created": now(), "customer": customer_id,
                "customer_account": None, "livemode": request.livemode,
                "owner": {"customer": customer_id, "customer_account": None, "type": "customer"}, "type": tax_type, "value": value,
                "verification": {"status": "pending" if tax_type in VERIFIED_TAX_ID_TYPES else "unavailable",
                                 "verified_address": None, "verified_name": None}}

    def _tax_id(self, request):
        customer = self._customer(request.args["customer"])
        tax_id = self.tax_ids.get(request.args["id"])
        if tax_id is None or tax_id["customer"] != customer["id"]:
            raise missing("tax_id", request.args["id"])
        return tax_id

    def tax_ids_create(self, request):
        """POST /v1/customers/{customer}/tax_ids"""
        customer = self._customer(request.args["customer"])
        tax_id = self._store(self.tax_ids, self._new_tax_id(customer["id"], request.params, request))
        self._emit("customer.tax_id.created", public(tax_id), request)
        return public(tax_id)

    def tax_ids_list(self, request):
        """GET /v1/customers/{customer}/tax_ids"""
        customer = self._customer(request.args["customer"])
        tax_ids = [tax_id for tax_id in self.tax_ids.values() if tax_id["customer"] == customer["id"]]
        return self._paginate(tax_ids, request.params, f"/v1/customers/{customer['id']}/tax_ids", public)

    def tax_ids_retrieve(self, request):
        """GET /v1/customers/{customer}/tax_ids/{id}"""
        return public(self._tax_id(request))

    def tax_ids_delete(self, request):
        """DELETE /v1/customers/{customer}/tax_ids/{id}"""
        tax_id = self._tax_id(request)
        del self.tax_ids[tax_id["id"]]
        self._emit("customer.tax_id.deleted", public(tax_id), request)
        return {"deleted": True, "id": tax_id["id"], "object": "tax_id"}

    # -- payment methods -----------------------------------------------------------------------------

    @staticmethod
    def _card_payment_method(token, customer_id, request):
        if token in ATTACH_DECLINED_TOKENS:
            raise ApiError(402, "Your card was declined.", kind="card_error", code="card_declined", decline_code="generic_decline")
        brand, last4, funding, declines = CARD_TOKENS[token]
        return {
            "id": new_id("pm"), "object": "payment_method", "allow_redisplay": "unspecified",
            "billing_details": {"address": address({"country": None}), "email": None, "name": None, "phone": None, "tax_id": None},
            "card": {"brand": brand, "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
                     "country": "US", "display_brand": brand, "exp_month": 12, "exp_year": datetime.now(timezone.utc).year + 3,
                     "fingerprint": hashlib.sha256(token.encode()).hexdigest()[:16], "funding": funding, "generated_from": None,
                     "last4": last4, "networks": {"available": [brand], "preferred": None}, "regulated_status": "unregulated",
                     "three_d_secure_usage": {"supported": True}, "wallet": None},
            "created": now(), "customer": customer_id, "customer_account": None, "livemode": request.livemode, "metadata": {},
            "type": "card", "_declines": declines, "_token": token, "_detached": False}

    def _new_payment_method_for(self, payment_method_id, customer_id, request, param):
        """An unsaved PaymentMethod for a test token (``pm_card_visa``) attached to ``customer_id``."""
        if payment_method_id in CARD_TOKENS or payment_method_id in ATTACH_DECLINED_TOKENS:
            return self._card_payment_method(payment_method_id, customer_id, request)
        existing = self.payment_methods.get(payment_method_id)
        if existing is None:
            raise missing("PaymentMethod", payment_method_id, param, 400)
        raise ApiError(400, "Only test PaymentMethod tokens (pm_card_visa, ...) can be attached while creating a customer "
                            "in the Stripe emulator; attach existing PaymentMethods with /v1/payment_methods/{id}/attach.", param=param)

    def _payment_method(self, payment_method_id, param="id", status=404):
        payment_method = self.payment_methods.get(payment_method_id)
        if payment_method is None:
            raise missing("PaymentMethod", payment_method_id, param, status)
        return payment_method

    def payment_methods_create(self, request):
        """POST /v1/payment_methods"""
        params = request.params
        if params.get("type") != "card":
            raise ApiError(400, "The Stripe emulator only creates card PaymentMethods.", param="type")
        token = (params.get("card") or {}).get("token")
        token = {"tok_visa": "pm_card_visa", "tok_mastercard": "pm_card_mastercard", "tok_amex": "pm_card_amex",
                 "tok_visa_debit": "pm_card_visa_debit", "tok_discover": "pm_card_discover",
                 "tok_chargeDeclined": "pm_card_chargeDeclined"}.get(token or "")
        if token is None:
            raise ParamError("Pass a test card token such as card[token]=tok_visa; raw card numbers are not accepted.",
                             param="card[token]")
        payment_method = self._card_payment_method(token, None, request)
        payment_method["metadata"] = apply_metadata({}, params.get("metadata"))
        return public(self._store(self.payment_methods, payment_method))

    def payment_methods_retrieve(self, request):
        """GET /v1/payment_methods/{payment_method}"""
        return public(self._payment_method(request.args["payment_method"]))

    def payment_methods_attach(self, request):
        """POST /v1/payment_methods/{payment_method}/attach"""
        if not request.params.get("customer"):
            raise required("customer")
        customer = self._customer(request.params["customer"], "customer", 400)
        payment_method_id = request.args["payment_method"]
        if payment_method_id in CARD_TOKENS or payment_method_id in ATTACH_DECLINED_TOKENS:
            payment_method = self._store(self.payment_methods, self._card_payment_method(payment_method_id, customer["id"], request))
        else:
            payment_method = self._payment_method(payment_method_id)
            if payment_method["customer"] == customer["id"]:
                return public(payment_method)
            if payment_method["customer"] is not None:
                raise ApiError(400, "The payment method you provided has already been attached to a customer.",
                               code="payment_method_unexpected_state", param="payment_method")
            if payment_method["_detached"]:
                raise ApiError(400, "This PaymentMethod was previously used without being attached to a Customer or was "
                                    "detached from a Customer, and may not be used again.",
                               code="payment_method_unexpected_state", param="payment_method")
            payment_method["customer"] = customer["id"]
        self._emit("payment_method.attached", public(payment_method), request)
        return public(payment_method)

    def payment_methods_detach(self, request):
        """POST /v1/payment_methods/{payment_method}/detach"""
        payment_method = self._payment_method(request.args["payment_method"])
        customer_id = payment_method["customer"]
        if customer_id is None:
            raise ApiError(400, "The payment method you provided is not attached to a customer so detachment is impossible.",
                           code="payment_method_unexpected_state", param="payment_method")
        payment_method["customer"] = None
        payment_method["_detached"] = True
        customer = self.customers.get(customer_id)
        if customer and customer["invoice_settings"]["default_payment_method"] == payment_method["id"]:
            customer["invoice_settings"]["default_payment_method"] = None
        for sub in self.subscriptions.values():
            if sub["default_payment_method"] == payment_method["id"]:
                sub["default_payment_method"] = None
                self._index_subscription(sub)
        self._emit("payment_method.detached", public(payment_method), request)
        return public(payment_method)

    def customer_payment_methods_list(self, request):
        """GET /v1/customers/{customer}/payment_methods"""
        customer = self._customer(request.args["customer"])
        payment_methods = [pm for pm in self.payment_methods.values() if pm["customer"] == customer["id"]]
        if request.params.get("type"):
            payment_methods = [pm for pm in payment_methods if pm["type"] == request.params["type"]]
        return self._paginate(payment_methods, request.params, f"/v1/customers/{customer['id']}/payment_methods", public)

    def customer_payment_methods_retrieve(self, request):
        """GET /v1/customers/{customer}/payment_methods/{payment_method}"""
        customer = self._customer(request.args["customer"])
        payment_method = self._payment_method(request.args["payment_method"])
        if payment_method["customer"] != customer["id"]:
            raise missing("PaymentMethod", payment_method["id"])
        return public(payment_method)

    # -- products ----------------------------------------------------------------------------------

    def _product(self, product_id, param="id", status=404):
        product = self.products.get(product_id)
        if product is None:
            raise missing("product", product_id, param, status)
        return product

    @staticmethod
    def _new_product(params, request, param_prefix=""):
        def name(field):
            return f"{param_prefix}[{field}]" if param_prefix else field

        product_id = params.get("id")
        if product_id is not None and not re.match(r"^[A-Za-z0-9_\-]{1,250}$", product_id):
            raise ParamError("Invalid product id: use letters, numbers, '_' and '-' only.", param=name("id"))
        if not params.get("name"):
            raise invalid_empty(name("name"))
        timestamp = now()
        return {
            "id": product_id or new_id("prod"), "object": "product", "active": params.get("active", True), "created": timestamp,
            "default_price": None, "description": params.get("description") or None, "images": params.get("images") or [],
            "livemode": request.livemode, "marketing_features": [{"name": feature["name"]} for feature in params.get("marketing_features") or []],
            "metadata": apply_metadata({}, params.get("metadata")), "name": params["name"],
            "package_dimensions": params.get("package_dimensions") or None, "shippable": params.get("shippable"),
            "statement_descriptor": params.get("statement_descriptor") or None, "tax_code": params.get("tax_code") or None,
            "type": "service", "unit_label": params.get("unit_label") or None, "updated": timestamp, "url": params.get("url") or None}

    def products_create(self, request):
        """POST /v1/products"""
        params = request.params
        product = self._new_product(params, request)
        if product["id"] in self.products:
            raise ApiError(400, "Product already exists.", code="resource_already_exists", param="id")
        price = None
        if params.get("default_price_data"):
            data = dict(params["default_price_data"], product=product["id"])
            price = self._new_price(data, request, product, "default_price_data")
        self._store(self.products, product)
        self._emit("product.created", public(product), request)
        if price is not None:
            self._store(self.prices, price)
            self._emit("price.created", public(price), request)
            product["default_price"] = price["id"]
        return public(product)

    def products_retrieve(self, request):
        """GET /v1/products/{id}"""
        return public(self._product(request.args["id"]))

    def products_update(self, request):
        """POST /v1/products/{id}"""
        product = self._product(request.args["id"])
        params = request.params
        not_empty(params, "name")
        before = public(product)
        updated = copy.deepcopy(product)
        for field in ("name", "active", "shippable"):
            if field in params:
                updated[field] = params[field]
        for field in ("description", "statement_descriptor", "tax_code", "unit_label", "url", "package_dimensions"):
            if field in params:
                updated[field] = params[field] or None
        if "images" in params:
            updated["images"] = params["images"] or []
        if "marketing_features" in params:
            updated["marketing_features"] = [{"name": feature["name"]} for feature in params["marketing_features"] or []]
        if "default_price" in params:
            price = self.prices.get(params["default_price"])
            if price is None:
                raise missing("price", params["default_price"], "default_price", 400)
            if price["product"] != product["id"] or not price["active"]:
                raise ApiError(400, "The default price must be an active price of this product.", param="default_price")
            updated["default_price"] = price["id"]
        updated["metadata"] = apply_metadata(product["metadata"], params.get("metadata"))
        if public(updated) != before:
            updated["updated"] = now()
        product.update(updated)
        after = public(product)
        previous = diff_attributes(before, after)
        if previous:
            self._emit("product.updated", after, request, previous)
        return after

    def products_delete(self, request):
        """DELETE /v1/products/{id}"""
        product = self._product(request.args["id"])
        if any(price["product"] == product["id"] for price in self.prices.values()):
            raise ApiError(400, "This product cannot be deleted because it has one or more user-created prices.")
        del self.products[product["id"]]
        self._emit("product.deleted", public(product), request)
        return {"deleted": True, "id": product["id"], "object": "product"}

    def products_list(self, request):
        """GET /v1/products"""
        params = request.params
        products = list(self.products.values())
        for field in ("active", "shippable", "url"):
            if field in params:
                products = [product for product in products if product[field] == params[field]]
        if params.get("ids"):
            products = [product for product in products if product["id"] in params["ids"]]
        products = created_filter(products, params.get("created"))
        return self._paginate(products, params, "/v1/products", public)

    # -- prices --------------------------------------------------------------------------------------

    def _price(self, price_id, param="id", status=404):
        price = self.prices.get(price_id)
        if price is None:
            raise missing("price", price_id, param, status)
        return price

    def _check_lookup_key(self, lookup_key, transfer, own_id=None):
        """The price holding ``lookup_key`` that must give it up, or an error when it may not."""
        holder = next((price for price in self.prices.values() if price["lookup_key"] == lookup_key and price["id"] != own_id), None)
        if holder is not None and not transfer:
            raise ApiError(400, f"A price ({holder['id']}) already uses that lookup key.", param="lookup_key")
        return holder

    @staticmethod
    def _amounts(params, prefix):
        def name(field):
            return f"{prefix}[{field}]" if prefix else field

        if "unit_amount" in params and "unit_amount_decimal" in params:
            raise exclusive(name("unit_amount"), name("unit_amount_decimal"))
        if "custom_unit_amount" in params:
            raise ParamError("The Stripe emulator supports only per-unit and tiered prices.", param=name("custom_unit_amount"))
        if params.get("billing_scheme") == "tiered":
            if "unit_amount" in params or "unit_amount_decimal" in params:
                raise ParamError("A tiered price cannot have unit_amount or unit_amount_decimal; give them per tier.",
                                 param=name("unit_amount"))
            return None, None
        if "tiers" in params or "tiers_mode" in params:
            raise ParamError("tiers and tiers_mode need billing_scheme=tiered.", param=name("billing_scheme"))
        if "unit_amount" in params:
            amount = params["unit_amount"]
            if amount < 0:
                raise ParamError("This value must be greater than or equal to 0.", code="parameter_invalid_integer", param=name("unit_amount"))
            return amount, str(amount)
        if "unit_amount_decimal" in params:
            decimal = Decimal(params["unit_amount_decimal"])
            if decimal < 0 or decimal.as_tuple().exponent < -12:
                raise ParamError("Invalid unit_amount_decimal: must be non-negative with at most 12 decimal places.",
                                 param=name("unit_amount_decimal"))
            normalized = format(decimal.normalize(), "f")
            return (int(decimal) if decimal == decimal.to_integral_value() else None), normalized
        raise required(name("unit_amount"))

    def _recurring(self, given, prefix, api_version):
        if not given:
            return None
        interval, count = given["interval"], given.get("interval_count", 1)
        limit = {"day": 365, "week": 52, "month": 12, "year": 1}[interval]
        if not 1 <= count <= limit:
            raise ParamError(f"Invalid {prefix}[interval_count]: the maximum billing period is one year ({limit} {interval}s).",
                             param=f"{prefix}[interval_count]")
        usage_type = given.get("usage_type", "licensed")
        if given.get("meter"):
            if usage_type != "metered":
                raise ParamError("A meter can only be set on a price with recurring[usage_type]=metered.", param=f"{prefix}[meter]")
            meter = self.meters.get(given["meter"])
            if meter is None:
                raise missing("billing meter", given["meter"], f"{prefix}[meter]", 400)
            if meter["status"] != "active":
                raise ApiError(400, f"The meter {meter['id']} is inactive; reactivate it to use it on a price.", param=f"{prefix}[meter]")
        elif usage_type == "metered" and api_version >= METERED_NEEDS_METER_SINCE:
            raise ApiError(400, "Legacy metered prices are no longer supported in this API version: a price with "
                                f"recurring[usage_type]=metered must be backed by a billing meter ({prefix}[meter]).",
                           param=f"{prefix}[meter]")
        return {"interval": interval, "interval_count": count, "meter": given.get("meter"), "trial_period_days": given.get("trial_period_days"),
                "usage_type": usage_type}

    @staticmethod
    def _tiers(params, name):
        """A tiered price's tiers as Stripe renders them (``up_to`` null for ``inf``), or None for a per-unit price."""
        if params.get("billing_scheme") != "tiered":
            return None
        if params.get("tiers_mode") not in ("graduated", "volume"):
            raise required(name("tiers_mode"))
        if "transform_quantity" in params:
            raise ParamError("transform_quantity cannot be combined with tiers.", param=name("transform_quantity"))
        tiers, last = [], 0
        for number, tier in enumerate(params.get("tiers") or []):
            up_to = tier.get("up_to")
            final = up_to == "inf"
            if up_to is None or (not final and up_to <= last) or (final and number != len(params["tiers"]) - 1):
                raise ParamError("Tiers must have increasing up_to values and end with up_to=inf.", param=name(f"tiers[{number}][up_to]"))
            last = up_to if not final else last
            rendered = {"up_to": None if final else up_to}
            for amount in ("unit_amount", "flat_amount"):
                if amount in tier and f"{amount}_decimal" in tier:
                    raise exclusive(name(f"tiers[{number}][{amount}]"), name(f"tiers[{number}][{amount}_decimal]"))
                value = tier.get(amount, tier.get(f"{amount}_decimal"))
                decimal = None if value is None else Decimal(str(value))
                rendered[amount] = int(decimal) if decimal is not None and decimal == decimal.to_integral_value() else None
                rendered[f"{amount}_decimal"] = None if decimal is None else format(decimal.normalize(), "f")
            tiers.append(rendered)
        if not tiers or tiers[-1]["up_to"] is not None:
            raise ParamError("Tiers must end with up_to=inf.", param=name("tiers"))
        return tiers

    def _new_price(self, params, request, product, prefix=""):
        def name(field):
            return f"{prefix}[{field}]" if prefix else field

        currency = params["currency"].lower()
        if not re.match(r"^[a-z]{3}$", currency):
            raise ParamError(f"Invalid currency: {params['currency']}.", param=name("currency"))
        unit_amount, unit_amount_decimal = self._amounts(params, prefix)
        tiers = self._tiers(params, name)
        recurring = self._recurring(params.get("recurring"), name("recurring"), request.api_version)
        if params.get("lookup_key"):
            self._check_lookup_key(params["lookup_key"], params.get("transfer_lookup_key", False))
        return {
            "id": new_id("price"), "object": "price", "active": params.get("active", True), "_tiers": tiers,
            "billing_scheme": "tiered" if tiers else "per_unit",
            "created": now(), "currency": currency, "custom_unit_amount": None, "livemode": request.livemode,
            "lookup_key": params.get("lookup_key") or None, "metadata": apply_metadata({}, params.get("metadata")),
            "nickname": params.get("nickname") or None, "product": product["id"], "recurring": recurring,
            "tax_behavior": params.get("tax_behavior", "unspecified"), "tiers_mode": params.get("tiers_mode") if tiers else None,
            "transform_quantity": ({"divide_by": params["transform_quantity"]["divide_by"],
                                    "round": params["transform_quantity"]["round"]} if params.get("transform_quantity") else None),
            "type": "recurring" if recurring else "one_time", "unit_amount": unit_amount, "unit_amount_decimal": unit_amount_decimal}

    def _take_lookup_key(self, price, request):
        holder = self._check_lookup_key(price["lookup_key"], True, price["id"]) if price["lookup_key"] else None
        if holder is not None:
            before = public(holder)
            holder["lookup_key"] = None
            self._emit("price.updated", public(holder), request, diff_attributes(before, public(holder)))

    def prices_create(self, request):
        """POST /v1/prices"""
        params = request.params
        if "product" in params and "product_data" in params:
            raise exclusive("product", "product_data")
        new_product = None
        if "product_data" in params:
            new_product = self._new_product(params["product_data"], request, "product_data")
            if new_product["id"] in self.products:
                raise ApiError(400, "Product already exists.", code="resource_already_exists", param="product_data[id]")
            product = new_product
        elif params.get("product"):
            product = self._product(params["product"], "product", 400)
        else:
            raise required("product")
        price = self._new_price(params, request, product)
        if new_product is not None:
            self._store(self.products, new_product)
            self._emit("product.created", public(new_product), request)
        self._take_lookup_key(price, request)
        self._store(self.prices, price)
        self._emit("price.created", public(price), request)
        return public(price)

    def prices_retrieve(self, request):
        """GET /v1/prices/{price}"""
        return public(self._price(request.args["price"]))

    def prices_update(self, request):
        """POST /v1/prices/{price}"""
        price = self._price(request.args["price"])
        params = request.params
        before = public(price)
        updated = copy.deepcopy(price)
        for field in ("active",):
            if field in params:
                updated[field] = params[field]
        for field in ("nickname", "lookup_key"):
            if field in params:
                updated[field] = params[field] or None
        if "tax_behavior" in params and params["tax_behavior"] != price["tax_behavior"]:
            if price["tax_behavior"] != "unspecified":
                raise ApiError(400, "The tax_behavior of a price cannot be changed once it has been set to inclusive or exclusive.",
                               param="tax_behavior")
            updated["tax_behavior"] = params["tax_behavior"]
        updated["metadata"] = apply_metadata(price["metadata"], params.get("metadata"))
        if updated["lookup_key"] and updated["lookup_key"] != price["lookup_key"]:
            self._check_lookup_key(updated["lookup_key"], params.get("transfer_lookup_key", False), price["id"])
            self._take_lookup_key(updated, request)
        price.update(updated)
        after = public(price)
        previous = diff_attributes(before, after)
        if previous:
            self._emit("price.updated", after, request, previous)
        return after

    def prices_list(self, request):
        """GET /v1/prices"""
        params = request.params
        prices = list(self.prices.values())
        for field in ("active", "product", "type"):
            if field in params:
                prices = [price for price in prices if price[field] == params[field]]
        if "currency" in params:
            prices = [price for price in prices if price["currency"] == params["currency"].lower()]
        if params.get("lookup_keys"):
            if len(params["lookup_keys"]) > 10:
                raise ParamError("You can pass at most 10 lookup_keys.", param="lookup_keys")
            prices = [price for price in prices if price["lookup_key"] in params["lookup_keys"]]
        for field, value in (params.get("recurring") or {}).items():
            prices = [price for price in prices if price["recurring"] and price["recurring"].get(field) == value]
        prices = created_filter(prices, params.get("created"))
        return self._paginate(prices, params, "/v1/prices", public)

    # -- subscriptions ---------------------------------------------------------------------------

    def _subscription(self, subscription_id, param="id", status=404):
        sub = self.subscriptions.get(subscription_id)
        if sub is None:
            raise missing("subscription", subscription_id, param, status)
        return sub

    @staticmethod
    def _render_plan(price):
        recurring = price["recurring"] or {}
        return {"id": price["id"], "object": "plan", "active": price["active"], "amount": price["unit_amount"],
                "amount_decimal": price["unit_amount_decimal"], "billing_scheme": price["billing_scheme"], "created": price["created"],
                "currency": price["currency"], "interval": recurring.get("interval"), "interval_count": recurring.get("interval_count"),
                "livemode": price["livemode"], "metadata": copy.deepcopy(price["metadata"]), "meter": recurring.get("meter"),
                "nickname": price["nickname"], "product": price["product"], "tiers_mode": price["tiers_mode"], "transform_usage": None,
                "trial_period_days": recurring.get("trial_period_days"), "usage_type": recurring.get("usage_type")}

    def _render_item(self, item):
        rendered = public(item)
        price = self.prices[item["price"]]
        rendered["price"] = public(price)
        rendered["plan"] = self._render_plan(price)
        return rendered

    def _render_subscription(self, sub):
        rendered = public(sub)
        items = [self._render_item(self.items[item_id]) for item_id in sub["_items"]]
        rendered["items"] = {"object": "list", "data": items, "has_more": False, "total_count": len(items),
                             "url": f"/v1/subscription_items?subscription={sub['id']}"}
        return rendered

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

    def _resolve_items(self, sub, given_items, existing):  # pylint: disable=too-many-branches
        """Apply ``items`` parameters to a list of (unsaved) item dicts; returns the new list."""
        items = [copy.deepcopy(item) for item in existing]
        for index, given in enumerate(given_items):
            name = f"items[{index}]"
            if "price_data" in given:
                raise ParamError("The Stripe emulator does not support inline price_data; create the price first.",
                                 param=f"{name}[price_data]")
            if "price" in given and "plan" in given:
                raise exclusive(f"{name}[plan]", f"{name}[price]")
            price_id = given.get("price") or given.get("plan")
            quantity = given.get("quantity")
            if quantity is not None and quantity < 0:
                raise ParamError("This value must be greater than or equal to 0.", code="parameter_invalid_integer",
                                 param=f"{name}[quantity]")
            if "id" in given:
                item = next((item for item in items if item["id"] == given["id"]), None)
                if item is None:
                    raise missing("subscription item", given["id"], f"{name}[id]", 400)
                if given.get("deleted"):
                    items.remove(item)
                    continue
                if price_id and price_id != item["price"]:
                    price = self._usable_price(price_id, f"{name}[{'price' if 'price' in given else 'plan'}]")
                    item["price"] = price_id
                    item["quantity"] = self._item_quantity(price, quantity, name)
                elif quantity is not None:
                    item["quantity"] = self._item_quantity(self.prices[item["price"]], quantity, name)
                item["metadata"] = apply_metadata(item["metadata"], given.get("metadata"), f"{name}[metadata]")
                continue
            if given.get("deleted"):
                raise required(f"{name}[id]")
            if not price_id:
                raise required(f"{name}[price]")
            price = self._usable_price(price_id, f"{name}[{'price' if 'price' in given else 'plan'}]")
            items.append({"id": new_id("si"), "object": "subscription_item", "billing_thresholds": None, "created": now(),
                          "current_period_end": None, "current_period_start": None, "discounts": [],
                          "metadata": apply_metadata({}, given.get("metadata"), f"{name}[metadata]"), "price": price_id,
                          "quantity": self._item_quantity(price, quantity, name), "subscription": sub["id"], "tax_rates": []})
        if not items:
            raise ParamError("A subscription must have at least one item.", param="items")
        if len(items) > MAX_SUBSCRIPTION_ITEMS:
            raise ParamError(f"A subscription can have at most {MAX_SUBSCRIPTION_ITEMS} items.", param="items")
        seen = set()
        for item in items:
            if item["price"] in seen:
                raise ApiError(400, f"Cannot add multiple subscription items with the same price: {item['price']}", param="items")
            seen.add(item["price"])
        currencies = {self.prices[item["price"]]["currency"] for item in items}
        if len(currencies) > 1:
            raise ApiError(400, "All prices on a subscription must have the same currency.", param="items")
        return items

    @staticmethod
    def _item_quantity(price, quantity, name):
        """An item's quantity: none for a metered price (its usage is measured), which refuses one; else 1 by default."""
        if (price["recurring"] or {}).get("usage_type") == "metered":
            if quantity is not None:
                raise ParamError(f"Quantity should not be specified where usage_type is `metered`. Remove quantity from `{name}`.",
                                 param=f"{name}[quantity]")
            return None
        return 1 if quantity is None else quantity

    def _usable_price(self, price_id, param):
        price = self._price(price_id, param, 400)
        if price["type"] != "recurring":
            raise ApiError(400, "The price specified is set to `type=one_time` but this field only accepts prices with "
                                "`type=recurring`.", param=param)
        if not price["active"]:
            raise ApiError(400, "The price specified is inactive. This field only accepts active prices.", param=param)
        return price

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
        return sum(Decimal(tier["unit_amount_decimal"] or 0) * quantity + Decimal(tier["flat_amount_decimal"] or 0) for tier in price["_tiers"])

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
            raise ParamError("Invalid days_until_due: it can only be set when collection_method is send_invoice.",
                             param="days_until_due")
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
                raise ApiError(400, "You cannot combine currencies on a single customer. This customer has an active "
                                    f"subscription, subscription schedule, discount, quote, or invoice item with currency {other['currency']}.",
                               param="items")

    def _save_items(self, sub, items):
        for item_id in sub["_items"]:
            if item_id not in [item["id"] for item in items]:
                del self.items[item_id]
        for item in items:
            if item["id"] in self.items:
                self.items[item["id"]].update(item)
            else:
                self._store(self.items, item)
        sub["_items"] = [item["id"] for item in items]

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
            "id": new_id("sub"), "object": "subscription", "application": None, "application_fee_percent": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None}, "billing_cycle_anchor": timestamp,
            "billing_cycle_anchor_config": None, "billing_mode": {"flexible": None, "type": "classic"}, "billing_thresholds": None,
            "cancel_at": params.get("cancel_at") or None, "cancel_at_period_end": params.get("cancel_at_period_end", False),
            "canceled_at": None, "cancellation_details": {"comment": None, "feedback": None, "reason": None},
            "collection_method": params.get("collection_method", "charge_automatically"), "created": timestamp, "currency": None,
            "customer": customer["id"], "customer_account": None, "days_until_due": params.get("days_until_due"),
            "default_payment_method": params.get("default_payment_method") or None, "default_source": None, "default_tax_rates": [],
            "description": params.get("description") or None, "discounts": [], "ended_at": None,
            "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}}, "latest_invoice": None,
            "livemode": request.livemode, "metadata": apply_metadata({}, params.get("metadata")), "next_pending_invoice_item_invoice": None,
            "on_behalf_of": None, "pause_collection": None,
            "payment_settings": {"payment_method_options": None, "payment_method_types": None, "save_default_payment_method": "off"},
            "pending_invoice_item_interval": None, "pending_setup_intent": None, "pending_update": None, "schedule": None,
            "start_date": timestamp, "status": "incomplete", "test_clock": None, "transfer_data": None, "trial_end": None,
            "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}}, "trial_start": None, "_items": []}
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
        after = self._index_subscription(sub)
        previous = diff_attributes(before, after)
        if previous:
            self._emit("customer.subscription.updated", after, request, previous)
        return after

    def _cancel_subscription(self, sub, request, details):
        timestamp = now()
        sub.update(status="canceled", canceled_at=timestamp, ended_at=timestamp)
        sub["cancellation_details"] = {"comment": details.get("comment") or None, "feedback": details.get("feedback") or None,
                                       "reason": "cancellation_requested"}
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
                raise ParamError(f"Invalid search query: {clause!r} (the emulator knows metadata['key']:'value' and "
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
            if version is not None and all((version["metadata"].get(key) if key is not None else version["status"]) == value
                                           for key, value in matchers):
                found.append((sub["_seq"], version))
        page, more = found[:limit], len(found) > limit
        data = [self._render_subscription(version) if cutoff is None else copy.deepcopy(version) for _seq, version in page]
        return {"object": "search_result", "data": data, "has_more": more,
                "next_page": self._page_token(params["query"], page[-1][0]) if more else None,
                "url": "/v1/subscriptions/search"}

    def subscription_items_list(self, request):
        """GET /v1/subscription_items"""
        sub = self._subscription(request.params["subscription"], "subscription", 400)
        items = [self.items[item_id] for item_id in sub["_items"]]
        return self._paginate(items, request.params, f"/v1/subscription_items?subscription={sub['id']}", self._render_item)

    def subscription_items_retrieve(self, request):
        """GET /v1/subscription_items/{item}"""
        item = self.items.get(request.args["item"])
        if item is None:
            raise missing("subscription item", request.args["item"])
        return self._render_item(item)

    # -- events ------------------------------------------------------------------------------------

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

    # -- webhook endpoints -------------------------------------------------------------------------

    def _endpoint(self, endpoint_id):
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None:
            raise missing("webhook endpoint", endpoint_id)
        return endpoint

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
        endpoint = {"id": new_id("we"), "object": "webhook_endpoint", "api_version": params.get("api_version"), "application": None,
                    "created": now(), "description": params.get("description") or None, "enabled_events": params["enabled_events"],
                    "livemode": request.livemode, "metadata": apply_metadata({}, params.get("metadata")), "status": "enabled",
                    "url": self._check_url(params["url"]), "secret": "whsec_" + random_chars(32)}
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

    # -- billing meters ------------------------------------------------------------------------------

    def _meter(self, meter_id):
        meter = self.meters.get(meter_id)
        if meter is None:
            raise missing("billing meter", meter_id)
        return meter

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
        meter = {"id": new_id("mtr"), "object": "billing.meter", "created": timestamp,
                 "customer_mapping": {"event_payload_key": mapping["event_payload_key"], "type": mapping["type"]},
                 "default_aggregation": {"formula": params["default_aggregation"]["formula"]},
                 "display_name": params["display_name"], "event_name": params["event_name"],
                 "event_time_window": params.get("event_time_window"), "livemode": request.livemode, "status": "active",
                 "status_transitions": {"deactivated_at": None}, "updated": timestamp,
                 "value_settings": {"event_payload_key": value["event_payload_key"]}}
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
            raise ParamError("The timestamp must be within the past 35 calendar days or up to 5 minutes in the future.",
                             param="timestamp")
        identifier = params.get("identifier") or "emu_" + random_chars(24)
        if len(identifier) > 100:
            raise ParamError("Invalid identifier: must be at most 100 characters.", param="identifier")
        if any(event["identifier"] == identifier and event["created"] > now() - METER_EVENT_IDENTIFIER_WINDOW
               for event in self.meter_events):
            raise ApiError(400, f"A meter event with the identifier '{identifier}' was already received in the last 24 hours; "
                                "it is counted once.", param="identifier")
        event = {"object": "billing.meter_event", "created": now(), "event_name": params["event_name"],
                 "identifier": identifier, "livemode": request.livemode, "payload": dict(params.get("payload") or {}),
                 "timestamp": timestamp}
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
            summaries.append({"id": f"mtrusg_{meter['id'][4:]}_{bucket_start}", "object": "billing.meter_event_summary",
                              "aggregated_value": self._aggregate(meter["default_aggregation"]["formula"], inside),
                              "end_time": bucket_end, "livemode": request.livemode, "meter": meter["id"],
                              "start_time": max(bucket_start, start)})
        limit = params.get("limit", 10)
        if not 1 <= limit <= 100:
            raise ParamError("Invalid limit: must be at least 1 and at most 100.", code="parameter_invalid_integer", param="limit")
        return {"object": "list", "data": summaries[:limit], "has_more": len(summaries) > limit,
                "url": f"/v1/billing/meters/{meter['id']}/event_summaries"}


# ---------------------------------------------------------------------------------------------
# HTTP server and command line
# ---------------------------------------------------------------------------------------------

class EmulatorHandler(BaseHTTPRequestHandler):
    """Moves bytes between HTTP and ``Emulator.handle``."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes; avoid 40 ms delayed-ACK stalls on keep-alive
    server_version = "StripeEmulator/1.0"

    def do_GET(self):  # pylint: disable=invalid-name
        """Handle GET."""
        self._dispatch("GET")

    def do_POST(self):  # pylint: disable=invalid-name
        """Handle POST."""
        self._dispatch("POST")

    def do_DELETE(self):  # pylint: disable=invalid-name
        """Handle DELETE."""
        self._dispatch("DELETE")

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet: the control API has the request log."""

    def _dispatch(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response = self.server.emulator.handle(method, self.path, self.headers, body)
        if response.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)


class EmulatorServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the emulator."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address_port, emulator):
        super().__init__(address_port, EmulatorHandler)
        self.emulator = emulator


def write_port_file(path, port):
    """Write the port so that a reader never sees a partial file (temp file, then rename)."""
    temporary = f"{path}.tmp.{threading.get_ident()}"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(f"{port}\n")
    os.replace(temporary, path)


def main(argv=None):
    """Command line entry point."""
    parser = argparse.ArgumentParser(description="Stripe API emulator for integration tests.")
    parser.add_argument("--host", default="127.0.0.1", help="must be 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the listening port here (atomically)")
    parser.add_argument("--search-lag", type=float, default=0.0, metavar="SECONDS",
                        help="subscription search answers as of SECONDS ago (also the value /_emulator/reset restores)")
    args = parser.parse_args(argv)
    if args.host != "127.0.0.1":
        parser.error("the emulator only binds 127.0.0.1")
    try:
        check_search_lag(args.search_lag)
    except ValueError as err:
        parser.error(str(err))
    emulator = Emulator(search_lag=args.search_lag)
    server = EmulatorServer((args.host, args.port), emulator)
    port = server.server_address[1]
    if args.port_file:
        write_port_file(args.port_file, port)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    while not stop.wait(0.1):
        pass
    server.shutdown()
    server.server_close()
    emulator.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
