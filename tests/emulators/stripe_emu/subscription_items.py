"""Subscription items: applying ``items`` parameters, rendering items and the subscriptions that hold them."""

import copy

from .common import new_id, now, public
from .errors import ApiError, ParamError, exclusive, missing, required
from .params import apply_metadata

MAX_SUBSCRIPTION_ITEMS = 20


class SubscriptionItemsMixin:
    """/v1/subscription_items and the items of a subscription."""

    @staticmethod
    def _render_plan(price):
        recurring = price["recurring"] or {}
        return {
            "id": price["id"], "object": "plan", "active": price["active"], "amount": price["unit_amount"], "amount_decimal":
            price["unit_amount_decimal"], "billing_scheme": price["billing_scheme"], "created": price["created"], "currency":
            price["currency"], "interval": recurring.get("interval"), "interval_count": recurring.get("interval_count"), "livemode":
            price["livemode"], "metadata": copy.deepcopy(price["metadata"]), "meter": recurring.get("meter"), "nickname": price["nickname"],
            "product": price["product"], "tiers_mode": price["tiers_mode"], "transform_usage": None, "trial_period_days":
            recurring.get("trial_period_days"), "usage_type": recurring.get("usage_type")
        }

    def _render_item(self, item):
        rendered = public(item)
        price = self.prices[item["price"]]
        rendered["price"] = public(price)
        rendered["plan"] = self._render_plan(price)
        return rendered

    def _render_subscription(self, sub):
        rendered = public(sub)
        items = [self._render_item(self.items[item_id]) for item_id in sub["_items"]]
        rendered["items"] = {
            "object": "list", "data": items, "has_more": False, "total_count": len(items), "url":
            f"/v1/subscription_items?subscription={sub['id']}"
        }
        return rendered

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
            items.append({
                "id": new_id("si"), "object": "subscription_item", "billing_thresholds": None, "created": now(), "current_period_end": None,
                "current_period_start": None, "discounts": [], "metadata": apply_metadata({}, given.get("metadata"), f"{name}[metadata]"),
                "price": price_id, "quantity": self._item_quantity(price, quantity, name), "subscription": sub["id"], "tax_rates": []
            })
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
