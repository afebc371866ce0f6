"""The API endpoints: method, path pattern, handler method and the SDK params class that checks them."""

import re


class Route:  # pylint: disable=too-few-public-methods
    """One API endpoint: method, path pattern, handler method name and SDK params class."""

    def __init__(self, method, pattern, handler, params):
        self.method = method
        self.regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
        self.handler = handler
        self.params = params


ROUTES = [
    Route(*spec) for spec in (
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
    )
]
