# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client of The Things Stack's tenant registry the action plugins share: requests, safe retries, one error format.

Imported at plugin load (in Ansible's main process), so forked workers inherit the loaded ``requests``.
"""

from __future__ import annotations

import re
import time
import urllib.parse
import warnings

try:
    import requests
except ImportError:  # reported by the action plugin with install advice
    requests = None

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError, InvalidOption, TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.transport import backoff_delay, check_endpoint, check_retry_options, tls_verify
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_json import lookup

API_PREFIX = '/api/v3'
# Every request of this client is safe to repeat after a 500 whose work may have been done: a Get or a list reads,
# an update (PUT with a field mask) sets the same values again, a repeated delete answers NotFound (delete_tenant
# takes that as done), and a repeated create answers AlreadyExists (tts_tenant recovers its own tenant from that).
RETRY_STATUSES = (429, 500, 502, 503, 504)
LIST_PAGE_SIZE = 1000
# BatchGetRegistryTotals is not paged and documents no maximum: ask for this many tenants a request.
TOTALS_BATCH_SIZE = 100
BATCH_TOTALS_PATH = '/tenants/registry-totals'  # a POST that only reads
URL_RULE = 'the https:// base address of the deployment, such as https://thethings.example.com'

# gRPC status codes, as the numeric ``code`` of a TTS error body.
CODE_NAMES = {
    0: 'ok',
    1: 'canceled',
    2: 'unknown',
    3: 'invalid_argument',
    4: 'deadline_exceeded',
    5: 'not_found',
    6: 'already_exists',
    7: 'permission_denied',
    8: 'resource_exhausted',
    9: 'failed_precondition',
    10: 'aborted',
    11: 'out_of_range',
    12: 'unimplemented',
    13: 'internal',
    14: 'unavailable',
    15: 'data_loss',
    16: 'unauthenticated',
}
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
UNAUTHENTICATED = 16

_ERROR_MESSAGE_RE = re.compile(r'^(error:\S+) \((.*)\)$', re.DOTALL)
_UNSUPPORTED_PATHS_RE = re.compile(r'unsupported field mask paths?: (.*)$')
_HEX_RE = re.compile(r'^[0-9a-fA-F]+$')

_clients = {}


def error_code(exc):
    """The numeric gRPC code of an ApiError from this client (None when there was no TTS error body)."""
    return (exc.details.get('tts_error') or {}).get('code')


def is_not_found(exc):
    """A TTS ``NotFound`` error with its ErrorDetails (a plain gateway 404 for an unknown route is not)."""
    return error_code(exc) == NOT_FOUND and bool((exc.details.get('tts_error') or {}).get('name'))


def require_requests():
    if requests is None:
        raise TenancyError("The Python package 'requests' is required on the Ansible controller: pip install requests")


def base_url(url):
    """The deployment's base address without a trailing slash or ``/api/v3`` (whitespace is refused, not stripped)."""
    url = (url or '').rstrip('/')
    if url.endswith(API_PREFIX):
        url = url[:-len(API_PREFIX)]
    return url


def check_connection(params):
    """The connection options' rules, checked before any request. Never puts the key in a message."""
    check_endpoint('url', base_url(params['url']), params.get('allow_http'), 'allow_http', URL_RULE)
    tls_verify(params['validate_certs'], params.get('ca_path'), 'ca_path')
    key = params['tenant_admin_key'] or ''
    if not key.strip():
        raise InvalidOption('tenant_admin_key', 'must not be empty')
    if not _HEX_RE.match(key.strip()):
        raise InvalidOption('tenant_admin_key',
                            'must be hex-encoded (a tenant admin key is 16, 24 or 32 bytes, written as 32, 48 or 64 hex digits)')
    if len(key.strip()) not in (32, 48, 64):
        raise InvalidOption('tenant_admin_key', f"must be 32, 48 or 64 hex digits (16, 24 or 32 bytes), got {len(key.strip())}")
    check_retry_options(params)


def get_api(params):
    """One client (and one requests session) per connection settings per process."""
    require_requests()
    settings = (base_url(params['url']), params['tenant_admin_key'].strip(),
                tls_verify(params['validate_certs'], params.get('ca_path'),
                           'ca_path'), float(params['timeout']), int(params['max_retries']))
    api = _clients.get(settings)
    if api is None:
        api = _clients[settings] = TtsApi(*settings)
    return api


def forbidden_paths(exc):
    """The paths of a field mask that current TTS refused (400 ``field_mask_paths``, attribute ``forbidden_paths``)."""
    return list((exc.details.get('tts_error') or {}).get('forbidden_paths') or [])


def unsupported_paths(headers):
    """The paths an ``X-Warning: unsupported field mask paths: a, b`` header names (TTS releases before the field mask
    validator dropped such paths and answered 200)."""
    match = _UNSUPPORTED_PATHS_RE.search((headers or {}).get('X-Warning') or '')
    return [path.strip() for path in match.group(1).split(',') if path.strip()] if match else []


class TtsApi:
    """Calls the tenant registry with this collection's retry policy and turns TTS errors into ApiError."""

    def __init__(self, url, key, verify, timeout, max_retries):
        self.url = url
        self.timeout = timeout
        self.max_retries = max_retries
        self.verify = verify
        self.sleep = time.sleep
        self.counts = {'reads': 0, 'writes': 0}
        self.last_headers = {}
        self.last_attempts = 0
        self.session = requests.Session() if requests is not None else None
        if self.session is not None:
            self.session.headers.update(
                {'Authorization': f'TenantAdminKey {key}', 'Accept': 'application/json', 'User-Agent': 'thingsstack.tenancy'})

    # -- tenant registry ---------------------------------------------------------------------------

    def get_tenant(self, tenant_id, paths):
        """The tenant with the fields of ``paths`` (plus ids and timestamps), or None when it does not exist."""
        try:
            return self.request('GET', f'/tenants/{quote(tenant_id)}', params={'field_mask': ','.join(paths)})
        except ApiError as exc:
            if is_not_found(exc):
                return None
            raise

    def create_tenant(self, tenant, initial_user=None):
        body = {'tenant': tenant}
        if initial_user is not None:
            body['initial_user'] = initial_user
        return self.request('POST', '/tenants', body=body)

    def update_tenant(self, tenant_id, tenant, paths):
        return self.request('PUT', f'/tenants/{quote(tenant_id)}', body={'tenant': tenant, 'field_mask': {'paths': list(paths)}})

    def delete_tenant(self, tenant_id):
        """Delete; True when this call deleted it, False when it was already gone (e.g. a retried delete went through)."""
        try:
            self.request('DELETE', f'/tenants/{quote(tenant_id)}')
        except ApiError as exc:
            if is_not_found(exc) and self.last_attempts > 1:
                return False
            raise
        return True

    def list_tenants(self, paths, max_pages=None):
        """Every tenant (all pages of ``limit`` 1000, until ``X-Total-Count`` is reached); None when that takes more than
        ``max_pages`` requests."""
        tenants, page = [], 1
        while True:
            if max_pages is not None and page > max_pages:
                return None
            body = self.request('GET', '/tenants', params={'field_mask': ','.join(paths), 'limit': LIST_PAGE_SIZE, 'page': page})
            batch = body.get('tenants') or []
            tenants.extend(batch)
            total = self.last_headers.get('X-Total-Count')
            if not batch or len(batch) < LIST_PAGE_SIZE or (total is not None and str(total).isdigit() and len(tenants) >= int(total)):
                return tenants
            page += 1

    def get_registry_totals(self, tenant_id, paths):
        """The entity counts of one tenant (TenantRegistryTotals, zero counts left out), or None when it does not exist."""
        try:
            return self.request('GET', f'/tenants/{quote(tenant_id)}/registry-totals', params={'field_mask': ','.join(paths)})
        except ApiError as exc:
            if is_not_found(exc):
                return None
            raise

    def batch_registry_totals(self, tenant_ids, paths):
        """``{tenant_id: totals}`` of existing tenants, in ceil(n / TOTALS_BATCH_SIZE) requests. A tenant TTS leaves out
        of its answer is not in the result; one that does not exist fails the request (NotFound)."""
        totals = {}
        for start in range(0, len(tenant_ids), TOTALS_BATCH_SIZE):
            chunk = list(tenant_ids[start:start + TOTALS_BATCH_SIZE])
            body = self.request(
                'POST', BATCH_TOTALS_PATH,
                body={'tenant_ids': [{'tenant_id': tenant_id} for tenant_id in chunk], 'field_mask': {'paths': list(paths)}})
            entries = body.get('totals') if isinstance(body, dict) else None
            for entry in entries if isinstance(entries, list) else []:
                tenant_id = lookup(entry, ['tenant_ids', 'tenant_id'])
                if isinstance(tenant_id, str) and tenant_id in chunk:
                    totals[tenant_id] = entry.get('totals')
        return totals

    def find_deleted_tenant(self, tenant_id):
        """True when a recently deleted tenant has the ID, False when none has, None when the search is not possible."""
        try:
            body = self.request('GET', '/search/tenants', params={'deleted': 'true', 'id_contains': tenant_id, 'limit': LIST_PAGE_SIZE})
        except ApiError:
            return None
        return any(lookup(t, ['ids', 'tenant_id']) == tenant_id for t in body.get('tenants') or [])

    # -- transport ------------------------------------------------------------------------------

    def request(self, method, path, params=None, body=None):
        """One API call with retries; returns the decoded JSON body, keeps the headers in ``last_headers``."""
        url = self.url + API_PREFIX + path
        self.last_attempts = 0
        attempt = 0
        while True:
            self.counts['reads' if method == 'GET' or path == BATCH_TOTALS_PATH else 'writes'] += 1
            self.last_attempts += 1
            try:
                with warnings.catch_warnings():
                    if self.verify is False:
                        warnings.simplefilter('ignore')
                    response = self.session.request(method, url, params=params, json=body, timeout=self.timeout, verify=self.verify)
            except requests.exceptions.RequestException as exc:
                delay = self._retry_delay(None, attempt, exc)
                if delay is None:
                    raise self._connection_error(exc) from None
            else:
                if response.status_code < 400:
                    self.last_headers = response.headers
                    return self._json(response) or {}
                delay = self._retry_delay(response, attempt)
                if delay is None:
                    self.last_headers = response.headers
                    raise self._api_error(response)
            attempt += 1
            self.sleep(delay)

    def _retry_delay(self, response, attempt, exc=None):
        """Seconds to wait before retrying, or None when the failure must not be retried."""
        if attempt >= self.max_retries:
            return None
        if exc is not None:
            if isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                                requests.exceptions.InvalidSchema, requests.exceptions.InvalidHeader)):
                return None
            if not isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
                return None
        elif response.status_code not in RETRY_STATUSES:
            return None
        return backoff_delay(attempt, response.headers.get('Retry-After') if response is not None else None)

    @staticmethod
    def _json(response):
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            return None

    def _connection_error(self, exc):
        if isinstance(exc, requests.exceptions.SSLError):
            cause = 'TLS certificate verification failed; set ca_path to the CA bundle of the deployment (or validate_certs=false for a test setup)'
        elif isinstance(exc, requests.exceptions.Timeout):
            cause = f'no response within {self.timeout:g} s (timeout)'
        else:
            cause = type(exc).__name__
            reason = str(exc)
            match = re.search(r'(\[Errno -?\d+\][^\'")]*|Connection refused|Name or service not known|No route to host)', reason)
            if match:
                cause += f': {match.group(1).strip()}'
        return ApiError(f"TTS API at {self.url} could not be reached ({self.last_attempts - 1} retries): {cause}", status=None)

    def _api_error(self, response):
        status = response.status_code
        body = self._json(response)
        if not isinstance(body, dict) or 'code' not in body:
            text = (response.text or '').strip().replace('\n', ' ')[:200]
            hint = ''
            if status == 404:
                hint = f"; is url ({self.url}) the base address of The Things Stack (the API is at {{url}}{API_PREFIX})?"
            return ApiError(f"TTS API error (HTTP {status}): {text or response.reason or 'no details'}{hint}", status=status)
        code = body.get('code')
        details = next((d for d in body.get('details') or [] if isinstance(d, dict) and d.get('name')), {})
        message = str(body.get('message') or '')
        match = _ERROR_MESSAGE_RE.match(message)
        error_id, rendered = (match.group(1), match.group(2)) if match else ('', message)
        if details.get('namespace') and details.get('name'):
            error_id = f"error:{details['namespace']}:{details['name']}"
        parts = [f'HTTP {status}']
        if isinstance(code, int):
            parts.append(f"code {code} {CODE_NAMES.get(code, 'unknown')}")
        if error_id:
            parts.append(error_id)
        msg = f"TTS API error ({', '.join(parts)}): {rendered or 'no message'}"
        if code == PERMISSION_DENIED and details.get('name') == 'tenant_admin_key':
            msg += '; the tenant_admin_key is not one of the deployment\'s is.tenancy.admin-keys'
        elif code == UNAUTHENTICATED:
            msg += '; the request carried no usable tenant admin key'
        elif status == 404 and not details:
            msg += f"; is url ({self.url}) the base address of The Things Stack (the API is at {{url}}{API_PREFIX})?"
        if details.get('correlation_id'):
            msg += f" [correlation id {details['correlation_id']}]"
        tts_error = {
            'code': code, 'name': details.get('name'), 'namespace': details.get('namespace'), 'correlation_id':
            details.get('correlation_id')
        }
        if details.get('name') == 'field_mask_paths':
            tts_error['forbidden_paths'] = list((details.get('attributes') or {}).get('forbidden_paths') or [])
        return ApiError(msg, status=status, tts_error=tts_error, retried=self.last_attempts > 1)


def quote(value):
    return urllib.parse.quote(value, safe='')
