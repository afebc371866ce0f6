"""Constants and small helpers that several resources share."""

import copy
import secrets
import string
import time

import stripe

DEFAULT_API_VERSION = stripe.api_version
# API versions before this one carry current_period_* (and plan/quantity) on the subscription itself.
PERIODS_ON_ITEMS_SINCE = "2025-03-31"
TERMINAL_STATUSES = ("canceled", "incomplete_expired")
ID_LENGTHS = {"cus": 14, "prod": 14, "si": 14}
ALNUM = string.ascii_letters + string.digits
ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


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


def diff_attributes(before, after):
    """Stripe's ``previous_attributes``: old values of the top-level fields that changed."""
    previous = {}
    for key, old in before.items():
        new = after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and old.get("object") != "list":
            previous[key] = {sub: old.get(sub) for sub in list(old) + [k for k in new if k not in old] if old.get(sub) != new.get(sub)}
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
