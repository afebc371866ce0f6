"""The Tenant and User messages: JSON decoding, validation, field masks and JSON rendering.

A stored tenant is a dict keyed by the JSON (proto) field names with every field present:
strings are "", lists/maps empty, UInt64Value limits an int or None, enums their names,
timestamps integer nanoseconds. `billing` keeps the JSON layout ({"stripe": {...}}); the
mask paths name the oneof (`billing.provider.stripe`), see json_keys().
"""

import copy
import re
import time

from . import errors

TENANT_ID_PATTERN = "^[a-z0-9](?:[-]?[a-z0-9]){2,}$"
USER_ID_PATTERN = "^[a-z0-9](?:[-]?[a-z0-9]){1,}$"
TENANT_ID_RE = re.compile(TENANT_ID_PATTERN)
USER_ID_RE = re.compile(USER_ID_PATTERN)
ATTRIBUTE_KEY_RE = TENANT_ID_RE
# OSS pkg/validate/email.go
EMAIL_RE = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
                      r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")
UINT64_MAX = 2**64 - 1

STATES = ("STATE_REQUESTED", "STATE_APPROVED", "STATE_REJECTED", "STATE_FLAGGED", "STATE_SUSPENDED")
CONTACT_TYPES = ("CONTACT_TYPE_OTHER", "CONTACT_TYPE_ABUSE", "CONTACT_TYPE_BILLING", "CONTACT_TYPE_TECHNICAL")
CONTACT_METHODS = ("CONTACT_METHOD_OTHER", "CONTACT_METHOD_EMAIL", "CONTACT_METHOD_PHONE")
END_DEVICE_COUNTING = ("ALL", "ONLY_ACTIVATED")
# Enum fields whose zero value is omitted like any other zero value.
ENUM_ZERO = {
    "state": STATES[0], "contact_type": CONTACT_TYPES[0], "contact_method": CONTACT_METHODS[0], "end_devices": END_DEVICE_COUNTING[0]
}

LIMIT_FIELDS = ("max_applications", "max_clients", "max_end_devices", "max_gateways", "max_organizations", "max_users")
STRING_MAX_LEN = {"name": 50, "description": 2000, "state_description": 128}
TIMESTAMP_FIELDS = ("created_at", "updated_at")
READ_ONLY_PATHS = ("ids", "ids.tenant_id", "created_at", "updated_at")
ALWAYS_PATHS = ("ids", "created_at", "updated_at")
BILLING_PROVIDERS = ("stripe", "aws_saas_marketplace")
STRIPE_FIELDS = ("customer_id", "plan_id", "subscription_id", "subscription_item_id")
AWS_FIELDS = ("customer_identifier", "product_code")
CLUSTER_SERVICES = ("ui", "is", "gs", "ns", "as", "js", "noc", "ars")
# Paths the Identity Server accepts but cannot select (no column; TTI-2020 store/tenant.tti.go).
UNSUPPORTED_PATHS = ("capabilities", )

TOP_LEVEL_FIELDS = (
    "ids",
    "created_at",
    "updated_at",
    "name",
    "description",
    "attributes",
    "contact_info",
) + LIMIT_FIELDS + (
    "state",
    "state_description",
    "capabilities",
    "configuration",
    "billing",
    "billing_identifiers",
)
NESTED_PATHS = (
    "ids.tenant_id",
    "billing.counting",
    "billing.counting.end_devices",
    "billing.provider.stripe",
    *(f"billing.provider.stripe.{f}" for f in STRIPE_FIELDS),
    "billing.provider.aws_saas_marketplace",
    *(f"billing.provider.aws_saas_marketplace.{f}" for f in AWS_FIELDS),
    "billing_identifiers.billing_id",
    "configuration.default_cluster",
    "configuration.clusters",
    "configuration.pb",
    "configuration.pb.listed",
)
ALLOWED_PATHS = frozenset(TOP_LEVEL_FIELDS + NESTED_PATHS)
_PATH_PART_RE = re.compile(r"^[a-z0-9_]+$")
_CAMEL_RE = re.compile(r"([A-Z])")
_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$")
_MISSING = object()

# ---------------------------------------------------------------------------------------------
# Time


def now_ns():
    """The current time in nanoseconds, truncated to microseconds as the database stores it."""
    return time.time_ns() // 1000 * 1000


def format_timestamp(ns):
    """RFC 3339 in UTC with up to nine fraction digits (trailing zeros trimmed), like Go's RFC3339Nano."""
    seconds, fraction = divmod(ns, 1_000_000_000)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    if fraction:
        text += "." + f"{fraction:09d}".rstrip("0")
    return text + "Z"


# ---------------------------------------------------------------------------------------------
# Decoding (proto JSON -> stored form). Type errors are unmarshal errors; rule violations come later.


def snake(key):
    """Proto JSON accepts lowerCamelCase names as well as the proto names."""
    return _CAMEL_RE.sub(lambda m: "_" + m.group(1).lower(), key)


def _message(value, field):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise errors.unmarshal(f"`{field}` must be an object")
    return {snake(key): item for key, item in value.items()}


def _string(value, field):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise errors.unmarshal(f"`{field}` must be a string")
    return value


def _bool(value, field):
    if value is None:
        return False
    if not isinstance(value, bool):
        raise errors.unmarshal(f"`{field}` must be a boolean")
    return value


def _uint64(value, field):
    """google.protobuf.UInt64Value: a JSON string of digits or a JSON number; null means unset."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise errors.unmarshal(f"`{field}` must be an unsigned integer")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value):
        value = int(value)
    if not isinstance(value, int) or value < 0 or value > UINT64_MAX:
        raise errors.unmarshal(f"`{field}` must be an unsigned 64-bit integer, got {value!r}")
    return value


def _enum(value, names, field):
    if value is None:
        return names[0]
    if isinstance(value, str) and value in names:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < len(names):
            return names[value]
        raise errors.validation(field, "value must be one of the defined enum values")
    raise errors.unmarshal(f"invalid value {value!r} for enum `{field}`")


def _timestamp(value, field):
    if value is None:
        return None
    if not isinstance(value, str) or not _TIMESTAMP_RE.match(value):
        raise errors.unmarshal(f"`{field}` must be an RFC 3339 timestamp")
    return value


def _string_map(value, field):
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise errors.unmarshal(f"`{field}` must be a map of strings")
    return dict(value)


def _any_json(value, field):
    if value is not None and not isinstance(value, dict):
        raise errors.unmarshal(f"`{field}` must be an object")
    return copy.deepcopy(value)


def decode_contact_info(value, field="contact_info"):
    if value is None:
        return []
    if not isinstance(value, list):
        raise errors.unmarshal(f"`{field}` must be a list")
    decoded = []
    for item in value:
        item = _message(item, field)
        contact = {
            "contact_type": _enum(item.get("contact_type"), CONTACT_TYPES, "contact_type"),
            "contact_method": _enum(item.get("contact_method"), CONTACT_METHODS, "contact_method"),
            "value": _string(item.get("value"), "value"),
            "public": _bool(item.get("public"), "public"),
        }
        validated_at = _timestamp(item.get("validated_at"), "validated_at")
        if validated_at:
            contact["validated_at"] = validated_at
        decoded.append(contact)
    return decoded


def _decode_tenant_ids(value):
    ids = _message(value, "ids")
    return {"tenant_id": _string(ids.get("tenant_id"), "tenant_id")}


def _decode_billing(value):
    if value is None:
        return None
    raw = _message(value, "billing")
    billing = {}
    if raw.get("counting") is not None:
        counting = _message(raw["counting"], "counting")
        billing["counting"] = {"end_devices": _enum(counting.get("end_devices"), END_DEVICE_COUNTING, "end_devices")}
    providers = [name for name in BILLING_PROVIDERS if raw.get(name) is not None]
    if len(providers) > 1:
        raise errors.unmarshal("oneof `provider` is already set")
    for name in providers:
        fields = STRIPE_FIELDS if name == "stripe" else AWS_FIELDS
        provider = _message(raw[name], name)
        billing[name] = {key: _string(provider.get(key), key) for key in fields}
    return billing


def _decode_billing_identifiers(value):
    if value is None:
        return None
    raw = _message(value, "billing_identifiers")
    return {"billing_id": _string(raw.get("billing_id"), "billing_id")}


def _decode_configuration(value):
    """Configuration is stored as JSON (JSONB in the IS); keys are normalised, map keys under `clusters` kept."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise errors.unmarshal("`configuration` must be an object")

    def normalise(node, keep_keys=False):
        if isinstance(node, dict):
            return {(key if keep_keys else snake(key)): normalise(item, key == "clusters" and not keep_keys) for key, item in node.items()}
        if isinstance(node, list):
            return [normalise(item) for item in node]
        return node

    return normalise(value)


_TENANT_DECODERS = {
    "ids": _decode_tenant_ids,
    "created_at": lambda v: _timestamp(v, "created_at"),
    "updated_at": lambda v: _timestamp(v, "updated_at"),
    "name": lambda v: _string(v, "name"),
    "description": lambda v: _string(v, "description"),
    "attributes": lambda v: _string_map(v, "attributes"),
    "contact_info": decode_contact_info,
    "state": lambda v: _enum(v, STATES, "state"),
    "state_description": lambda v: _string(v, "state_description"),
    "capabilities": lambda v: _any_json(v, "capabilities"),
    "configuration": _decode_configuration,
    "billing": _decode_billing,
    "billing_identifiers": _decode_billing_identifiers,
    **{field: (lambda v, f=field: _uint64(v, f))
       for field in LIMIT_FIELDS},
}


def decode_tenant(value):
    """Decode a Tenant from proto JSON; only the keys present in the input are returned. Unknown keys are discarded."""
    raw = _message(value, "tenant")
    return {key: _TENANT_DECODERS[key](item) for key, item in raw.items() if key in _TENANT_DECODERS}


def decode_user(value):
    """Decode the fields of a ttn.lorawan.v3.User that matter for an initial tenant user."""
    raw = _message(value, "initial_user")
    ids = _message(raw.get("ids"), "ids") if "ids" in raw else None
    return {
        "ids": None if ids is None else {"user_id": _string(ids.get("user_id"), "user_id")},
        "name": _string(raw.get("name"), "name"),
        "description": _string(raw.get("description"), "description"),
        "primary_email_address": _string(raw.get("primary_email_address"), "primary_email_address"),
        "password": _string(raw.get("password"), "password"),
        "admin": _bool(raw.get("admin"), "admin"),
        "state": _enum(raw.get("state"), STATES, "state"),
        "attributes": _string_map(raw.get("attributes"), "attributes"),
        "contact_info": decode_contact_info(raw.get("contact_info")),
    }


# ---------------------------------------------------------------------------------------------
# Validation (protoc-gen-validate rules from the API docs, then the Identity Server's own checks)


def _check_max_len(value, limit, field):
    if len(value) > limit:
        raise errors.validation(field, f"value length must be at most {limit} runes")


def _check_min_len(value, limit, field):
    if len(value) < limit:
        raise errors.validation(field, f"value length must be at least {limit} runes")


def validate_id(value, regex, pattern, field):
    _check_max_len(value, 36, field)
    if not regex.match(value):
        raise errors.validation(field, f'value does not match regex pattern "{pattern}"')


def validate_tenant_id(value):
    validate_id(value, TENANT_ID_RE, TENANT_ID_PATTERN, "tenant_id")


def _validate_attributes(attributes, max_pairs=None, value_max_len=None):
    if max_pairs is not None and len(attributes) > max_pairs:
        raise errors.validation("attributes", f"value must contain no more than {max_pairs} pair(s)")
    for key, value in attributes.items():
        field = f"attributes[{key}]"
        _check_max_len(key, 36, field)
        if not ATTRIBUTE_KEY_RE.match(key):
            raise errors.validation(field, f'value does not match regex pattern "{TENANT_ID_PATTERN}"')
        if value_max_len is not None:
            _check_max_len(value, value_max_len, field)


def _validate_contact_info(contact_info):
    for contact in contact_info:
        _check_max_len(contact["value"], 256, "value")


def _validate_billing(billing, keys):
    """`keys` lists the nested mask paths below `billing` being validated (None = all of it)."""

    def wanted(*path):
        return keys is None or any(path[:len(k)] == k for k in keys)

    for provider, fields in (("stripe", STRIPE_FIELDS), ("aws_saas_marketplace", AWS_FIELDS)):
        values = billing.get(provider)
        if values is None:
            continue
        for field in fields:
            if wanted("provider", provider, field):
                _check_min_len(values[field], 1, field)


def validate_tenant(tenant, paths):
    """Check the PGV rules of the Tenant fields selected by `paths` (mask paths)."""
    selected = {}
    for path in paths:
        top, dummy, rest = path.partition(".")
        selected.setdefault(top, []).append(tuple(rest.split(".")) if rest else None)
    for field, limit in STRING_MAX_LEN.items():
        if field in selected:
            _check_max_len(tenant.get(field, ""), limit, field)
    if "ids" in selected:
        validate_tenant_id(tenant.get("ids", {}).get("tenant_id", ""))
    if "attributes" in selected:
        _validate_attributes(tenant.get("attributes", {}))
    if "contact_info" in selected:
        _validate_contact_info(tenant.get("contact_info", []))
    if "billing" in selected and tenant.get("billing"):
        keys = None if None in selected["billing"] else selected["billing"]
        _validate_billing(tenant["billing"], keys)
    if "billing_identifiers" in selected and tenant.get("billing_identifiers"):
        _check_max_len(tenant["billing_identifiers"]["billing_id"], 250, "billing_id")


def validate_user(user):
    """PGV rules of the User fields an initial user carries."""
    if user["ids"] is None:
        raise errors.validation("ids", "value is required")
    validate_id(user["ids"]["user_id"], USER_ID_RE, USER_ID_PATTERN, "user_id")
    _check_max_len(user["name"], 50, "name")
    _check_max_len(user["description"], 2000, "description")
    if not EMAIL_RE.match(user["primary_email_address"]) or len(user["primary_email_address"]) > 254:
        raise errors.validation("primary_email_address", "value must be a valid email address")
    _check_max_len(user["password"], 1000, "password")
    _validate_attributes(user["attributes"], max_pairs=10, value_max_len=200)
    _validate_contact_info(user["contact_info"])


def check_email(value):
    """validate.Email of the Identity Server."""
    if not EMAIL_RE.match(value):
        raise errors.invalid_email(value)


def check_contact_info_emails(contact_info):
    """validateContactInfo of the Identity Server: email contacts must hold valid addresses."""
    for contact in contact_info:
        if contact["contact_method"] == "CONTACT_METHOD_EMAIL":
            check_email(contact["value"])


# ---------------------------------------------------------------------------------------------
# Field masks


def is_allowed_path(path):
    if path in ALLOWED_PATHS:
        return True
    # Any sub-path of a default cluster's service configuration, e.g. configuration.default_cluster.ns.dev_addr_prefixes
    parts = path.split(".")
    return (len(parts) >= 3 and parts[:2] == ["configuration", "default_cluster"] and parts[2] in CLUSTER_SERVICES
            and all(_PATH_PART_RE.match(part) for part in parts))


def clean_paths(paths, remove=()):
    """Normalise and de-duplicate mask paths; returns (kept, unsupported)."""
    kept, unsupported = [], []
    for path in paths:
        path = ".".join(snake(part) for part in path.strip().split("."))
        if not path or path in kept or path in remove:
            continue
        if not is_allowed_path(path) or path.split(".", 1)[0] in UNSUPPORTED_PATHS:
            if path not in unsupported:
                unsupported.append(path)
            continue
        kept.append(path)
    return kept, unsupported


def json_keys(path):
    """The keys of a mask path in the JSON object: the oneof name `provider` does not appear in JSON."""
    parts = path.split(".")
    if parts[:2] == ["billing", "provider"]:
        return ["billing"] + parts[2:]
    return parts


def lookup(obj, keys):
    for key in keys:
        if not isinstance(obj, dict) or key not in obj:
            return _MISSING
        obj = obj[key]
    return obj


def _assign(obj, keys, value):
    for key in keys[:-1]:
        if not isinstance(obj.get(key), dict):
            obj[key] = {}
        obj = obj[key]
    obj[keys[-1]] = value


# ---------------------------------------------------------------------------------------------
# Stored tenants: creation, projection (Get) and masked update


def zero_value(field):
    if field in ("name", "description", "state_description"):
        return ""
    if field == "attributes":
        return {}
    if field == "contact_info":
        return []
    if field == "state":
        return STATES[0]
    return None


def new_tenant(tenant_id, created_ns):
    tenant = {field: zero_value(field) for field in TOP_LEVEL_FIELDS}
    tenant.update(ids={"tenant_id": tenant_id}, created_at=created_ns, updated_at=created_ns)
    return tenant


def apply_path(stored, request_tenant, path):
    """Set the field at `path` from the request; a path that is absent or null in the request clears the field."""
    keys = json_keys(path)
    value = lookup(request_tenant, keys)
    present = value is not _MISSING and value is not None
    if len(keys) == 1:
        stored[keys[0]] = copy.deepcopy(value) if present else zero_value(keys[0])
    else:
        if not isinstance(stored.get(keys[0]), dict):
            stored[keys[0]] = {}
        if present:
            _assign(stored, keys, copy.deepcopy(value))
        else:
            parent = lookup(stored, keys[:-1])
            if isinstance(parent, dict):
                parent.pop(keys[-1], None)
    if keys[0] == "billing" and len(keys) > 1 and keys[1] in BILLING_PROVIDERS and present:
        for other in BILLING_PROVIDERS:
            if other != keys[1]:
                stored["billing"].pop(other, None)


def omit_zero(value, key=None):
    """Drop zero values the way TTS's marshaler does; returns _MISSING for a zero value."""
    if isinstance(value, dict):
        pruned = {}
        for child_key, child in value.items():
            child = omit_zero(child, child_key)
            if child is not _MISSING:
                pruned[child_key] = child
        return pruned or _MISSING
    if isinstance(value, list):
        # Elements of repeated fields are always written; an all-zero message element is {}.
        items = [(omit_zero(item) if isinstance(item, dict) else item) for item in value]
        return [{} if item is _MISSING else item for item in items] or _MISSING
    if value in (None, False, "", 0) or (key in ENUM_ZERO and value == ENUM_ZERO[key]):
        return _MISSING
    return value


def to_wire(tenant):
    """Render a (projected) stored tenant as the Identity Server's JSON."""
    out = {}
    for key, value in tenant.items():
        if key in TIMESTAMP_FIELDS:
            out[key] = format_timestamp(value)
        elif key in LIMIT_FIELDS:
            if value is not None:
                out[key] = str(value)
        elif key == "capabilities":
            if value is not None:
                out[key] = copy.deepcopy(value)
        else:
            rendered = omit_zero(value, key)
            if rendered is not _MISSING:
                out[key] = rendered
    return out


def project(stored, paths):
    """The tenant as Get returns it: ids, created_at, updated_at plus the masked paths, zero values omitted."""
    selected = {}
    for path in ALWAYS_PATHS + tuple(paths):
        keys = json_keys(path)
        value = lookup(stored, keys)
        if value is not _MISSING:
            _assign(selected, keys, copy.deepcopy(value))
    ordered = {key: selected[key] for key in TOP_LEVEL_FIELDS if key in selected}
    return to_wire(ordered)


def settable_fields():
    """Top-level mask paths for a full tenant (create responses, TBS)."""
    return [field for field in TOP_LEVEL_FIELDS if field not in ALWAYS_PATHS and field not in UNSUPPORTED_PATHS]
