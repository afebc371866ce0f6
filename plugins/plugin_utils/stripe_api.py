# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Stripe client the action plugins share: the official SDK, safe retries, one error message format.

Imported at plugin load (in Ansible's main process), so forked workers inherit the loaded SDK.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import platform
import sys
import time
import uuid
import warnings

try:
    import requests
    import stripe
except ImportError:  # reported by the action plugin with install advice (the SDK's HTTP client here is requests)
    requests = stripe = None

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError, InvalidOption, TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.transport import backoff_delay, check_endpoint, check_retry_options, tls_verify

LIST_PAGE_SIZE = 100
API_BASE_RULE = 'the https:// base address of the Stripe API, such as https://api.stripe.com'

# The SDK logs every request URL (customer emails in list queries) and the server's raw error messages at INFO to
# the 'stripe' logger. With ANSIBLE_LOG_PATH set, Ansible sends the root logger's INFO records to its log file.
_sdk_logger = logging.getLogger('stripe')
_sdk_logger.propagate = False
_sdk_logger.addHandler(logging.NullHandler())

_clients = {}
# The objects the modules read or write (and the lists and search results that hold them).
OBJECT_TYPES = ('list', 'search_result', 'customer', 'tax_id', 'product', 'price', 'plan', 'subscription', 'subscription_item', 'discount',
                'webhook_endpoint', 'billing.meter')


def _warm_up():
    """Do the SDK's lazy imports now, at plugin load in Ansible's main process, so forked workers inherit them.

    Without this every task's worker pays them again (about 15 ms a task, measured with make bench).
    """
    import netrc  # pylint: disable=unused-import,import-outside-toplevel  # requests reads ~/.netrc on each first request

    for name in ('stripe._object_classes', 'stripe._telemetry_id'):  # imported on a client's first request
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    # The class of each object in a response is imported when the first response holds one: ~20 ms a task.
    try:
        for name in OBJECT_TYPES:
            sys.modules['stripe._object_classes'].get_object_class('V1', name)
    except (KeyError, AttributeError, TypeError, ImportError):  # another SDK layout: the worker imports them itself
        pass
    # The SDK's user agent header: platform.uname().processor runs `uname -p` in a subprocess the first time.
    getattr(platform.uname(), 'processor')
    platform.platform()
    client = stripe.StripeClient('sk_test_warm_up', http_client=stripe.RequestsClient())
    for name in ('customers', 'products', 'prices', 'subscriptions', 'subscription_items', 'webhook_endpoints'):
        getattr(client.v1, name)
    getattr(client.v1.customers, 'tax_ids')
    getattr(client.v1.billing, 'meters')


if stripe is not None:
    _warm_up()


def require_sdk():
    if stripe is None:
        raise TenancyError("The Python packages 'stripe' and 'requests' are required on the Ansible controller: "
                           "pip install 'stripe>=16.1,<17' requests")


def check_connection(params):
    """The connection options' rules, checked before any request: a Stripe key, no cleartext key, a CA that exists."""
    if not params['api_key'].startswith(('sk_', 'rk_')):
        raise InvalidOption('api_key', 'must be a Stripe secret key (sk_test_..., sk_live_...) or restricted key (rk_...)')
    check_endpoint('api_base', params['api_base'], params.get('allow_http'), 'allow_http', API_BASE_RULE)
    tls_verify(params.get('validate_certs', True), params.get('ca_path'), 'ca_path')
    check_retry_options(params)


def get_api(params):
    """One client per connection settings per process (a worker runs many requests of one task)."""
    require_sdk()
    verify = tls_verify(params.get('validate_certs', True), params.get('ca_path'), 'ca_path')
    settings = (params['api_key'], params['api_base'].rstrip('/'), params.get('api_version'), float(params['timeout']),
                int(params['max_retries']), verify)
    api = _clients.get(settings)
    if api is None:
        api = _clients[settings] = StripeApi(*settings)
    return api


if requests is not None:

    class VerifyingSession(requests.Session):
        """A session that verifies TLS with its own ``verify`` setting.

        ``stripe.RequestsClient`` passes ``verify=<the SDK's bundled CA file>`` with every request, which would
        override a session's ``verify``: a private CA (``ca_path``) or ``REQUESTS_CA_BUNDLE`` would never be used.
        """

        def request(self, method, url, *args, **kwargs):  # pylint: disable=arguments-differ
            kwargs['verify'] = self.verify
            with warnings.catch_warnings():
                if self.verify is False:  # asked for with validate_certs=false; urllib3 would warn on every request
                    warnings.simplefilter('ignore')
                return super().request(method, url, *args, **kwargs)


def http_client(timeout, verify):
    """The SDK's requests-based HTTP client on a session that verifies with ``verify`` (see ``tls_verify``)."""
    session = VerifyingSession()
    session.verify = verify
    return stripe.RequestsClient(timeout=timeout, session=session, verify_ssl_certs=verify is not False)


def idempotency_key(operation, natural_key, payload):
    """Deterministic key for a create: the same object asked for twice maps to one Stripe request.

    The payload hash makes a changed request a new key (Stripe rejects a reused key with other parameters),
    and keeps a key that Stripe still remembers after 24 h from replaying an object that no longer matches.
    """
    digest = hashlib.sha256(json.dumps([operation, natural_key, payload], sort_keys=True, default=str).encode()).hexdigest()
    return f"thingsstack-{operation}-{digest[:40]}"


def is_key_conflict(exc):
    """The ApiError of a create whose idempotency key another request used: with other parameters (400
    ``idempotency_error``), or while that request was still being processed (409, after the retries)."""
    error = exc.details.get('stripe_error') or {}
    return error.get('type') == 'idempotency_error' or exc.details.get('status') == 409


def _header(headers, name):
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


class StripeApi:
    """Calls the SDK with this collection's retry policy and turns Stripe errors into ApiError.

    The SDK's own retries are off: they do not cover a plain 429, so one policy here covers everything.
    """

    def __init__(self, api_key, api_base, api_version, timeout, max_retries, verify=True):
        self._api_base = api_base
        self.max_retries = max_retries
        self.sleep = time.sleep
        self.counts = {'reads': 0, 'writes': 0}
        self.client = stripe.StripeClient(
            api_key,
            stripe_version=api_version or None,
            base_addresses={'api': api_base},
            max_network_retries=0,
            http_client=http_client(timeout, verify),
        )
        self.v1 = self.client.v1

    def read(self, method, *args, params=None):
        return self._call(method, args, params, None)

    def write(self, method, *args, params=None, key=None):
        """An update or delete. One random key per logical write, reused by every retry of it."""
        return self._call(method, args, params, key or f"thingsstack-write-{uuid.uuid4().hex}")

    def create(self, service, *parent, params, natural_key, kind):
        """Create idempotently; if Stripe replays a create whose object was deleted since, create anew."""
        key = idempotency_key(kind, natural_key, params)
        for dummy in range(3):
            obj = self._call(service.create, parent, params, key)
            if not self.last_replayed or not self._is_gone(service, parent, obj['id']):
                return obj
            key = idempotency_key(kind, [natural_key, 'after', obj['id']], params)
        raise ApiError(f"Stripe kept replaying deleted {kind} objects for the same request; last: {obj['id']}")

    def create_keyed(self, service, *parent, params, key):
        """Create with a key chosen by the caller (the same for every request that may claim the same thing):
        ``(object, replayed)``, where ``replayed`` means Stripe answered with the result of an earlier request with
        this key. Another request's parameters under the key raise ApiError (``is_key_conflict``)."""
        obj = self._call(service.create, parent, params, key)
        # A replay of this call's own first attempt (its response was lost) is this call's object, not an earlier one.
        return obj, self.last_replayed and not self.last_retried

    def _is_gone(self, service, parent, object_id):
        return self.retrieve(service.retrieve, *parent, object_id) is None

    def retrieve(self, method, *args, params=None):
        """The object, or None when it does not exist or was deleted."""
        try:
            obj = self.read(method, *args, params=params)
        except ApiError as exc:
            if exc.details.get('status') == 404:
                return None
            raise
        return None if obj.get('deleted') else obj

    def list_all(self, method, *args, params=None, max_pages=None):
        """Every object of a strongly consistent list call, following ``has_more``; None when that takes more than
        ``max_pages`` requests (the pages beyond are not read).

        ``method`` is a list method of the SDK's services, or the path of a list call (``/v1/subscriptions``), which the SDK
        then reads as plain JSON (``raw_request``): the bulk reads of a whole account take that, because building the
        SDK's typed objects of a page of 100 subscriptions, with their items and prices, costs several times the request."""
        params = dict(params or {}, limit=LIST_PAGE_SIZE)
        items = []
        pages = 0
        while True:
            if max_pages is not None and pages >= max_pages:
                return None
            pages += 1
            page = self.read(method, *args, params=params)
            items.extend(page['data'])
            if not page.get('has_more') or not page['data']:
                return items
            params['starting_after'] = page['data'][-1]['id']

    def search_all(self, method, query):
        """Every object a Search API query finds, following ``next_page``. Eventually consistent: never read-after-write."""
        params = {'query': query, 'limit': LIST_PAGE_SIZE}
        items = []
        while True:
            page = self.read(method, params=params)
            items.extend(page['data'])
            if not page.get('has_more') or not page.get('next_page'):
                return items
            params['page'] = page['next_page']

    def _call(self, method, args, params, key):
        options = {'idempotency_key': key} if key else {}
        self.counts['writes' if key else 'reads'] += 1
        attempt = 0
        while True:
            try:
                if isinstance(method, str):  # a list path: plain JSON, without typed objects (list_all)
                    response = self.client.raw_request('get', method, **(params or {}))
                    self.last_replayed, self.last_retried = False, attempt > 0
                    return json.loads(response.body)
                obj = method(*args, params=params or {}, options=options)
                self.last_replayed = bool(obj.last_response and _header(obj.last_response.headers, 'idempotent-replayed') == 'true')
                self.last_retried = attempt > 0
                return obj.to_dict(for_json=True)
            except stripe.StripeError as exc:
                delay = self._retry_delay(exc, attempt)
                if delay is None:
                    raise self._api_error(exc) from None
                attempt += 1
                self.sleep(delay)

    def _retry_delay(self, exc, attempt):
        """Seconds to wait before retrying ``exc``, or None when it must not be retried."""
        if attempt >= self.max_retries:
            return None
        should_retry = _header(exc.headers, 'stripe-should-retry')
        if should_retry == 'false':
            return None
        status = exc.http_status
        if isinstance(exc, stripe.APIConnectionError):
            retryable = exc.should_retry  # timeouts and connection errors; not a failed TLS verification
        else:
            retryable = should_retry == 'true' or status in (409, 429) or (status or 0) >= 500
        if not retryable:
            return None
        return backoff_delay(attempt, _header(exc.headers, 'retry-after'))

    def _api_error(self, exc):
        if isinstance(exc, stripe.APIConnectionError):
            cause = (exc.user_message or '').rpartition('Network error: ')[2].rstrip(')') or type(exc).__name__
            if cause.startswith('SSLError'):
                return ApiError(
                    f"Stripe API at {self._api_base}: TLS certificate verification failed; set ca_path to "
                    f"the CA bundle that signed its certificate (or validate_certs=false for a test setup): {cause}", status=None)
            return ApiError(f"Stripe API at {self._api_base} could not be reached ({self.max_retries} retries): {cause}", status=None)
        error = exc.error
        status = exc.http_status
        parts = [f"HTTP {status}" if status else 'no response']
        if error is not None:
            parts += [p for p in (error.type, error.code) if p]
        if error is not None and error.param:
            parts.append(f"param {error.param}")
        message = exc.user_message or type(exc).__name__
        msg = f"Stripe API error ({', '.join(parts)}): {message}"
        if exc.request_id:
            msg += f" [request {exc.request_id}]"
        return ApiError(
            msg, status=status, stripe_error={
                'type': getattr(error, 'type', None), 'code': getattr(error, 'code', None) or exc.code, 'param':
                getattr(error, 'param', None), 'request_id': exc.request_id
            })
