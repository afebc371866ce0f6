"""Card PaymentMethods from test tokens, attached to and detached from customers."""

import hashlib
from datetime import datetime, timezone

from .common import address, new_id, now, public
from .errors import ApiError, ParamError, missing, required
from .params import apply_metadata

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
ATTACH_DECLINED_TOKENS = ("pm_card_visa_chargeDeclined", )


class PaymentMethodsMixin:
    """/v1/payment_methods and /v1/customers/{customer}/payment_methods."""

    @staticmethod
    def _card_payment_method(token, customer_id, request):
        if token in ATTACH_DECLINED_TOKENS:
            raise ApiError(402, "Your card was declined.", kind="card_error", code="card_declined", decline_code="generic_decline")
        brand, last4, funding, declines = CARD_TOKENS[token]
        return {
            "id": new_id("pm"), "object": "payment_method", "allow_redisplay": "unspecified", "billing_details":
            {"address": address({"country": None}), "email": None, "name": None, "phone": None, "tax_id": None}, "card": {
                "brand": brand, "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"}, "country":
                "US", "display_brand": brand, "exp_month": 12, "exp_year": datetime.now(timezone.utc).year + 3, "fingerprint":
                hashlib.sha256(token.encode()).hexdigest()[:16], "funding": funding, "generated_from": None, "last4": last4, "networks":
                {"available": [brand], "preferred": None}, "regulated_status": "unregulated", "three_d_secure_usage": {"supported":
                                                                                                                       True}, "wallet": None
            }, "created": now(), "customer": customer_id, "customer_account": None, "livemode": request.livemode, "metadata": {}, "type":
            "card", "_declines": declines, "_token": token, "_detached": False
        }

    def _new_payment_method_for(self, payment_method_id, customer_id, request, param):
        """An unsaved PaymentMethod for a test token (``pm_card_visa``) attached to ``customer_id``."""
        if payment_method_id in CARD_TOKENS or payment_method_id in ATTACH_DECLINED_TOKENS:
            return self._card_payment_method(payment_method_id, customer_id, request)
        existing = self.payment_methods.get(payment_method_id)
        if existing is None:
            raise missing("PaymentMethod", payment_method_id, param, 400)
        raise ApiError(
            400, "Only test PaymentMethod tokens (pm_card_visa, ...) can be attached while creating a customer "
            "in the Stripe emulator; attach existing PaymentMethods with /v1/payment_methods/{id}/attach.", param=param)

    def _payment_method(self, payment_method_id, param="id", status=404):
        return self._lookup(self.payment_methods, "PaymentMethod", payment_method_id, param, status)

    def payment_methods_create(self, request):
        """POST /v1/payment_methods"""
        params = request.params
        if params.get("type") != "card":
            raise ApiError(400, "The Stripe emulator only creates card PaymentMethods.", param="type")
        token = (params.get("card") or {}).get("token")
        token = {
            "tok_visa": "pm_card_visa", "tok_mastercard": "pm_card_mastercard", "tok_amex": "pm_card_amex", "tok_visa_debit":
            "pm_card_visa_debit", "tok_discover": "pm_card_discover", "tok_chargeDeclined": "pm_card_chargeDeclined"
        }.get(token or "")
        if token is None:
            raise ParamError("Pass a test card token such as card[token]=tok_visa; raw card numbers are not accepted.", param="card[token]")
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
                raise ApiError(
                    400, "This PaymentMethod was previously used without being attached to a Customer or was "
                    "detached from a Customer, and may not be used again.", code="payment_method_unexpected_state", param="payment_method")
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
