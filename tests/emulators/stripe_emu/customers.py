"""Customers and their tax IDs."""

import copy
import re
import secrets

from .common import TERMINAL_STATUSES, address, new_id, now, public
from .errors import ApiError, ParamError, invalid_empty, missing
from .params import apply_metadata, created_filter

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


class CustomersMixin:
    """/v1/customers and /v1/customers/{customer}/tax_ids."""

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
            raise ApiError(
                400, f"The customer does not have a payment method with the ID {payment_method_id}. The payment "
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
                "address": address(shipping.get("address")) or address({"country": None}), "name": shipping.get("name") or None, "phone":
                shipping.get("phone") or None
            }
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
            "id": new_id("cus"), "object": "customer", "address": None, "balance": 0, "business_name": None, "created": now(), "currency":
            None, "default_source": None, "delinquent": False, "description": None, "discount": None, "email": None, "individual_name":
            None, "invoice_prefix": "".join(secrets.choice("0123456789ABCDEF") for _position in range(8)), "invoice_settings":
            {"custom_fields": None, "default_payment_method": None, "footer": None, "rendering_options":
             None}, "livemode": request.livemode, "metadata": {}, "name": None, "next_invoice_sequence": 1, "phone": None,
            "preferred_locales": [], "shipping": None, "tax_exempt": "none", "test_clock": None, "_deleted": False
        }
        new_payment_method = None
        if params.get("payment_method"):
            new_payment_method = self._new_payment_method_for(params["payment_method"], customer["id"], request, "payment_method")
        self._apply_customer_fields(customer, params, new_payment_method)
        tax_ids = [
            self._new_tax_id(customer["id"], data, request, f"tax_id_data[{index}]")
            for index, data in enumerate(params.get("tax_id_data") or [])
        ]
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
        return self._emit_changes("customer.updated", before, self._render_customer(customer), request)

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
        return {
            "id": new_id("txi"), "object": "tax_id", "country": country, "created": now(), "customer": customer_id, "customer_account":
            None, "livemode": request.livemode, "owner": {"customer": customer_id, "customer_account": None, "type":
                                                          "customer"}, "type": tax_type, "value": value, "verification":
            {"status": "pending" if tax_type in VERIFIED_TAX_ID_TYPES else "unavailable", "verified_address": None, "verified_name": None}
        }

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
