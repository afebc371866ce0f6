"""The Identity Server's tenant registry (reference §2-§4): Create, Get, List, Search, Update, Delete."""

import copy
import hashlib
import secrets
import threading

from . import errors, model

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
ORDERS = ("", "tenant_id", "-tenant_id", "name", "-name", "created_at", "-created_at")
SEARCH_TEXT_FILTERS = ("id_contains", "name_contains", "description_contains")
# TenantRegistryTotals (DOCS TenantRegistryTotals.yml): uint64 counts, the paths of its field mask.
TOTALS_FIELDS = ("applications", "clients", "end_devices", "activated_end_devices", "gateways", "organizations", "users")


def load_blocklist(path):
    """One ID a line; `#` starts a comment line."""
    with open(path, encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip() and not line.startswith("#"))


class ListOptions:
    """Pagination and ordering of List and Search, validated like the request messages."""

    def __init__(self, limit=0, page=0, order=""):
        if limit > MAX_LIMIT:
            raise errors.validation("limit", f"value must be less than or equal to {MAX_LIMIT}")
        if order not in ORDERS:
            raise errors.validation("order", "value must be in list [" + " ".join(ORDERS) + "]")
        self.limit = limit or DEFAULT_LIMIT
        self.page = page or 1
        self.order = order

    def apply(self, tenants):
        """Sort and cut a page; returns (page, total)."""
        field = self.order.lstrip("-") or "tenant_id"
        ordered = sorted(tenants, key=lambda t: t["ids"]["tenant_id"])
        if field != "tenant_id":
            ordered.sort(key=lambda t: t[field])
        if self.order.startswith("-"):
            ordered.reverse()
        start = (self.page - 1) * self.limit
        return ordered[start:start + self.limit], len(ordered)


class Registry:
    """Tenants (with soft deletion) and the users created in them. All methods are thread-safe."""

    def __init__(self, blocklist):
        self.blocklist = blocklist
        self.lock = threading.RLock()
        self.records = {}
        self._last_ns = 0

    def reset(self):
        with self.lock:
            self.records.clear()

    def _timestamp(self):
        """Strictly increasing timestamps, so every update moves updated_at."""
        self._last_ns = max(model.now_ns(), self._last_ns + 1000)
        return self._last_ns

    def _check_blocklist(self, entity_id):
        if entity_id in self.blocklist:
            raise errors.forbidden_id(entity_id)

    def _active(self, tenant_id):
        record = self.records.get(tenant_id)
        if record is None or record["deleted_at"] is not None:
            raise errors.tenant_not_found(tenant_id)
        return record

    # -- Create ---------------------------------------------------------------------------------

    def create(self, body):
        """CreateTenantRequest{tenant, initial_user}; returns the stored tenant as JSON."""
        body = {model.snake(key): value for key, value in (body or {}).items()}
        if body.get("tenant") is None:
            raise errors.validation("tenant", "value is required")
        tenant = model.decode_tenant(body["tenant"])
        user = model.decode_user(body["initial_user"]) if body.get("initial_user") is not None else None
        if "ids" not in tenant:
            raise errors.validation("ids", "value is required")
        model.validate_tenant(tenant, model.TOP_LEVEL_FIELDS)
        if user is not None:
            model.validate_user(user)
        tenant_id = tenant["ids"]["tenant_id"]
        self._check_blocklist(tenant_id)
        model.check_contact_info_emails(tenant.get("contact_info", []))
        if user is not None:
            self._check_blocklist(user["ids"]["user_id"])
            model.check_email(user["primary_email_address"])
            model.check_contact_info_emails(user["contact_info"])
        with self.lock:
            if tenant_id in self.records:
                raise errors.id_taken()
            stored = model.new_tenant(tenant_id, self._timestamp())
            for field in model.settable_fields():
                if field in tenant:
                    model.apply_path(stored, tenant, field)
            self.records[tenant_id] = {"tenant": stored, "deleted_at": None, "users": {}, "totals": {}}
            if user is not None:
                self.records[tenant_id]["users"][user["ids"]["user_id"]] = self._new_user(user, stored["created_at"])
            return model.project(stored, model.settable_fields())

    @staticmethod
    def _new_user(user, created_ns):
        """The initial user: a random password when none is given; the primary email becomes an email contact."""
        generated = not user["password"]
        password = secrets.token_urlsafe(24) if generated else user["password"]
        contact_info = copy.deepcopy(user["contact_info"])
        if not any(c["contact_method"] == "CONTACT_METHOD_EMAIL" and c["value"] == user["primary_email_address"] for c in contact_info):
            contact_info.append({
                "contact_type": "CONTACT_TYPE_OTHER", "contact_method": "CONTACT_METHOD_EMAIL", "value": user["primary_email_address"],
                "public": False
            })
        return {
            "ids": dict(user["ids"]),
            "name": user["name"],
            "description": user["description"],
            "primary_email_address": user["primary_email_address"],
            "admin": user["admin"],
            "state": user["state"],
            "attributes": dict(user["attributes"]),
            "contact_info": contact_info,
            "password_generated": generated,
            "password_sha256": hashlib.sha256(password.encode()).hexdigest(),
            "created_at": model.format_timestamp(created_ns),
        }

    # -- Read -----------------------------------------------------------------------------------

    def get(self, tenant_id, paths):
        model.validate_tenant_id(tenant_id)
        with self.lock:
            return model.project(self._active(tenant_id)["tenant"], paths)

    def list(self, paths, options):
        with self.lock:
            tenants = [r["tenant"] for r in self.records.values() if r["deleted_at"] is None]
            page, total = options.apply(tenants)
            return [model.project(t, paths) for t in page], total

    def search(self, filters, paths, options):
        """SearchTenantsRequest: case-insensitive `*_contains`, attributes_contain, state[], deleted."""
        for key in SEARCH_TEXT_FILTERS:
            if len(filters.get(key, "")) > 50:
                raise errors.validation(key, "value length must be at most 50 runes")
        if len(filters.get("attributes_contain", {})) > 10:
            raise errors.validation("attributes_contain", "value must contain no more than 10 pair(s)")
        with self.lock:
            matches = [
                r["tenant"] for r in self.records.values()
                if (r["deleted_at"] is not None) == bool(filters.get("deleted")) and self._matches(r["tenant"], filters)
            ]
            page, total = options.apply(matches)
            return [model.project(t, paths) for t in page], total

    @staticmethod
    def _matches(tenant, filters):
        texts = {"id_contains": tenant["ids"]["tenant_id"], "name_contains": tenant["name"], "description_contains": tenant["description"]}
        for key, text in texts.items():
            if filters.get(key) and filters[key].lower() not in text.lower():
                return False
        for key, value in filters.get("attributes_contain", {}).items():
            if key not in tenant["attributes"] or value.lower() not in tenant["attributes"][key].lower():
                return False
        return not filters.get("state") or tenant["state"] in filters["state"]

    # -- Update / Delete ------------------------------------------------------------------------

    def update(self, tenant_id, body):
        """UpdateTenantRequest{tenant, field_mask}; returns the tenant JSON with the masked fields."""
        body = {model.snake(key): value for key, value in (body or {}).items()}
        model.validate_tenant_id(tenant_id)
        tenant = model.decode_tenant(body.get("tenant"))
        tenant["ids"] = {"tenant_id": tenant_id}
        paths, unsupported = model.clean_paths(decode_field_mask(body.get("field_mask")), remove=model.READ_ONLY_PATHS)
        if unsupported:
            raise errors.field_mask_paths(unsupported)
        model.validate_tenant(tenant, paths)
        if any(p.split(".")[0] == "contact_info" for p in paths):
            for contact in tenant.get("contact_info", []):
                contact.pop("validated_at", None)
            model.check_contact_info_emails(tenant.get("contact_info", []))
        with self.lock:
            record = self._active(tenant_id)
            stored = copy.deepcopy(record["tenant"])
            for path in paths:
                model.apply_path(stored, tenant, path)
            tops = {p.split(".")[0] for p in paths}
            if "state" in tops and "state_description" not in tops:
                stored["state_description"] = ""
            stored["updated_at"] = self._timestamp()
            record["tenant"] = stored
            return model.project(stored, paths)

    def delete(self, tenant_id):
        """Soft delete: hidden from Get/List, the ID stays taken."""
        model.validate_tenant_id(tenant_id)
        with self.lock:
            self._active(tenant_id)["deleted_at"] = self._timestamp()

    # -- Registry totals ------------------------------------------------------------------------

    def registry_totals(self, tenant_id, paths):
        """GetRegistryTotals: the tenant's entity counts (uint64 as JSON strings, zeros omitted), all without a mask."""
        model.validate_tenant_id(tenant_id)
        paths = totals_paths(paths)
        with self.lock:
            return self._totals(self._active(tenant_id), paths)

    def batch_registry_totals(self, body):
        """BatchGetRegistryTotals{tenant_ids, field_mask}: one entry per tenant, in the order asked; a missing one fails it all."""
        body = {model.snake(key): value for key, value in (body or {}).items()}
        ids = body.get("tenant_ids") or []
        if not isinstance(ids, list):
            raise errors.unmarshal("`tenant_ids` must be a list")
        paths = totals_paths(decode_field_mask(body.get("field_mask")))
        tenant_ids = []
        for index, ids_value in enumerate(ids):
            tenant_id = (ids_value or {}).get("tenant_id") if isinstance(ids_value, dict) else None
            if not isinstance(tenant_id, str):
                raise errors.validation(f"tenant_ids[{index}].tenant_id", "value is required")
            model.validate_tenant_id(tenant_id)
            tenant_ids.append(tenant_id)
        with self.lock:
            totals = [{"tenant_ids": {"tenant_id": tenant_id}, "totals": self._totals(self._active(tenant_id), paths)}
                      for tenant_id in tenant_ids]
        return {"totals": totals} if totals else {}

    def set_registry_totals(self, tenant_id, counts):
        """Control: set some of a tenant's entity counts; users defaults to the users created in it (the initial user)."""
        with self.lock:
            record = self._active(tenant_id)
            merged = dict(record["totals"], **counts)
            if merged.get("activated_end_devices", 0) > merged.get("end_devices", 0):
                raise ValueError("activated_end_devices cannot exceed end_devices")
            record["totals"] = merged
            return self._totals(record, TOTALS_FIELDS)

    @staticmethod
    def _totals(record, paths):
        counts = dict({"users": len(record["users"])}, **record["totals"])
        return {field: str(counts[field]) for field in TOTALS_FIELDS if field in paths and counts.get(field)}

    def users(self, tenant_id):
        with self.lock:
            record = self.records.get(tenant_id)
            if record is None:
                raise errors.tenant_not_found(tenant_id)
            return copy.deepcopy(list(record["users"].values()))


def totals_paths(paths):
    """The registry totals a field mask selects (all for an empty one); another path is refused as TTS's validator does."""
    unsupported = [path for path in paths if path not in TOTALS_FIELDS]
    if unsupported:
        raise errors.field_mask_paths(unsupported)
    return tuple(paths) or TOTALS_FIELDS


def decode_field_mask(value):
    """google.protobuf.FieldMask in a body: {"paths": [...]} or the canonical JSON string "a,b.c"."""
    if value is None:
        return []
    if isinstance(value, str):
        return [p for p in value.split(",") if p]
    if isinstance(value, dict) and isinstance(value.get("paths", []), list) and all(isinstance(p, str) for p in value.get("paths", [])):
        return list(value.get("paths", []))
    raise errors.unmarshal("`field_mask` must be {\"paths\": [...]} or a comma-separated string")
