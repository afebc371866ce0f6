"""Shared object machinery: storing, list pagination, ``expand[]``, the account and unsupported searches."""

import copy

from .common import TERMINAL_STATUSES, public
from .errors import ApiError, ParamError, exclusive, missing

OBJECT_KINDS = {
    "cus": "customer", "prod": "product", "price": "price", "sub": "subscription", "si": "subscription item", "txi": "tax_id", "pm":
    "PaymentMethod", "evt": "event", "we": "webhook endpoint", "mtr": "billing meter"
}


class StoreMixin:
    """Object tables, pagination and expansion shared by every resource."""

    def _store(self, table, obj):
        self.object_seq += 1
        obj["_seq"] = self.seq_index[obj["id"]] = self.object_seq
        table[obj["id"]] = obj
        return obj

    def _lookup(self, table, kind, object_id, param="id", status=404):
        """The object ``object_id`` of ``table``, or Stripe's ``resource_missing`` error naming ``kind``."""
        obj = table.get(object_id)
        if obj is None:
            raise missing(kind, object_id, param, status)
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

    def _render_any(self, object_id):
        for table, render in ((self.customers, self._render_customer), (self.products, public), (self.prices,
                                                                                                 public), (self.payment_methods, public),
                              (self.subscriptions, self._render_subscription), (self.items, self._render_item), (self.tax_ids, public)):
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
            objects = [
                public(tax_id) for tax_id in sorted(self.tax_ids.values(), key=lambda obj: obj["_seq"], reverse=True)
                if tax_id["customer"] == customer_id
            ]
            url = f"/v1/customers/{customer_id}/tax_ids"
        else:
            objects = [
                self._render_subscription(sub) for sub in sorted(self.subscriptions.values(), key=lambda obj: obj["_seq"], reverse=True)
                if sub["customer"] == customer_id and sub["status"] not in TERMINAL_STATUSES
            ]
            url = f"/v1/customers/{customer_id}/subscriptions"
        return {"object": "list", "data": objects, "has_more": False, "total_count": len(objects), "url": url}

    def account_retrieve(self, _request):
        """GET /v1/account"""
        return copy.deepcopy(self.account)

    def search_unsupported(self, _request):
        """GET /v1/customers/search, GET /v1/products/search, GET /v1/prices/search"""
        raise ApiError(400, "The Stripe emulator does not implement search (it is eventually consistent in Stripe); "
                       "use the list endpoints.")
