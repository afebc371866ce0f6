"""Prices: per-unit and tiered amounts, recurring (licensed or metered), lookup keys."""

import copy
import re
from decimal import Decimal

from .common import diff_attributes, new_id, now, public
from .errors import ApiError, ParamError, exclusive, missing, required
from .params import apply_metadata, created_filter

# Since this version a metered price must name a Billing Meter (basil removed legacy usage-based billing).
METERED_NEEDS_METER_SINCE = "2025-03-31"


class PricesMixin:
    """/v1/prices."""

    def _price(self, price_id, param="id", status=404):
        return self._lookup(self.prices, "price", price_id, param, status)

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
                raise ParamError("This value must be greater than or equal to 0.", code="parameter_invalid_integer",
                                 param=name("unit_amount"))
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
            raise ApiError(
                400, "Legacy metered prices are no longer supported in this API version: a price with "
                f"recurring[usage_type]=metered must be backed by a billing meter ({prefix}[meter]).", param=f"{prefix}[meter]")
        return {
            "interval": interval, "interval_count": count, "meter": given.get("meter"), "trial_period_days": given.get("trial_period_days"),
            "usage_type": usage_type
        }

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
            "id":
            new_id("price"), "object":
            "price", "active":
            params.get("active", True), "_tiers":
            tiers, "billing_scheme":
            "tiered" if tiers else "per_unit", "created":
            now(), "currency":
            currency, "custom_unit_amount":
            None, "livemode":
            request.livemode, "lookup_key":
            params.get("lookup_key") or None, "metadata":
            apply_metadata({}, params.get("metadata")), "nickname":
            params.get("nickname") or None, "product":
            product["id"], "recurring":
            recurring, "tax_behavior":
            params.get("tax_behavior", "unspecified"), "tiers_mode":
            params.get("tiers_mode") if tiers else None, "transform_quantity":
            ({"divide_by": params["transform_quantity"]["divide_by"], "round": params["transform_quantity"]["round"]}
             if params.get("transform_quantity") else None), "type":
            "recurring" if recurring else "one_time", "unit_amount":
            unit_amount, "unit_amount_decimal":
            unit_amount_decimal
        }

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
        for field in ("active", ):
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
        return self._emit_changes("price.updated", before, public(price), request)

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
