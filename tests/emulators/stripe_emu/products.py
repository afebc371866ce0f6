"""Products."""

import copy
import re

from .common import new_id, now, public
from .errors import ApiError, ParamError, invalid_empty, missing
from .params import apply_metadata, created_filter, not_empty


class ProductsMixin:
    """/v1/products."""

    def _product(self, product_id, param="id", status=404):
        return self._lookup(self.products, "product", product_id, param, status)

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
            "default_price": None, "description": params.get("description") or None, "images": params.get("images") or [], "livemode":
            request.livemode, "marketing_features": [{"name": feature["name"]} for feature in params.get("marketing_features") or []
                                                     ], "metadata": apply_metadata({}, params.get("metadata")), "name": params["name"],
            "package_dimensions": params.get("package_dimensions") or None, "shippable": params.get("shippable"), "statement_descriptor":
            params.get("statement_descriptor") or None, "tax_code": params.get("tax_code") or None, "type": "service", "unit_label":
            params.get("unit_label") or None, "updated": timestamp, "url": params.get("url") or None
        }

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
        return self._emit_changes("product.updated", before, public(product), request)

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
