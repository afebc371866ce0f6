# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stripe webhook endpoints: input rules, the Tenant Billing Server preset, lookups and the signing secret's file."""

from __future__ import annotations

import os
import re
import tempfile

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption, TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_customers import sdk_source_literals
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.transport import check_endpoint
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_api import base_url

# What The Things Stack's Tenant Billing Server needs (reference tbs-behaviour.md section 2).
TBS_PATH = '/api/v3/tbs/stripe'
TBS_EVENTS = ('customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted')
TBS_API_VERSION = '2022-11-15'
TBS_DESCRIPTION = 'The Things Stack Tenant Billing Server'
TBS_SECRET_KEY = 'tbs.stripe.endpoint-secret-key'

ENDPOINT_ID_RE = re.compile(r'^we_[A-Za-z0-9]{1,250}$')
SECRET_RE = re.compile(r'^whsec_[A-Za-z0-9]{1,500}$')
# Used only when the installed SDK does not list the versions: a Stripe API version is a date, with a release name since 2024.
API_VERSION_RE = re.compile(r'^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$')
URL_RULE = 'an absolute https:// URL, such as https://thethings.example.com/api/v3/tbs/stripe'
SUMMARY = ('id', 'url', 'enabled_events', 'api_version', 'description', 'status', 'metadata')


def _sdk_literals(field):
    """The values the installed SDK's generated create parameters allow for ``field`` (empty when it does not say)."""
    found = sdk_source_literals(os.path.join('params', '_webhook_endpoint_create_params.py'), 'WebhookEndpointCreateParams', field)
    return frozenset(found or ())


SDK_API_VERSIONS = _sdk_literals('api_version')
SDK_EVENTS = _sdk_literals('enabled_events')


def public(endpoint):
    """The endpoint as the modules return it: never with its signing secret."""
    return {key: value for key, value in (endpoint or {}).items() if key != 'secret'}


def endpoint_url(params):
    """The URL the task declares: ``url``, or the TBS route on ``tts_url``."""
    if params.get('tts_url'):
        return base_url(params['tts_url']) + TBS_PATH
    return params.get('url')


def check_endpoint_id(option, value):
    if value is not None and not ENDPOINT_ID_RE.match(value):
        raise InvalidOption(option, f"{value!r} is not a webhook endpoint ID (we_...)")


def check_api_version(option, value):
    if value is None:
        return
    if SDK_API_VERSIONS:
        if value not in SDK_API_VERSIONS:
            raise InvalidOption(
                option, f"{value!r} is not a Stripe API version that the installed stripe SDK knows, "
                f"such as {TBS_API_VERSION} or {max(SDK_API_VERSIONS)}")
    elif not API_VERSION_RE.match(value):
        raise InvalidOption(option, f"{value!r} is not a Stripe API version (YYYY-MM-DD or YYYY-MM-DD.name)")


def check_events(option, events):
    if events is None:
        return
    if not events:
        raise InvalidOption(option, "must name at least one event type, or '*' for all")
    unknown = [event for event in events if SDK_EVENTS and event not in SDK_EVENTS]
    if unknown:
        raise InvalidOption(
            option, f"unknown event type(s) {', '.join(map(repr, unknown))}: the installed stripe SDK lists "
            "the event types Stripe accepts, such as customer.subscription.updated")
    if '*' in events and len(events) > 1:
        raise InvalidOption(option, "'*' (every event) cannot be combined with other event types")


def check_tbs(params, url):
    """The Tenant Billing Server's rules for the endpoint (the preset ``tbs=true``)."""
    if url is not None and not url.endswith(TBS_PATH):
        raise InvalidOption(
            'url', f"must end with {TBS_PATH} with tbs=true (the Tenant Billing Server's route), got {url!r}; "
            "or give the deployment's base address as tts_url")
    events = params['enabled_events']
    if events is not None:
        if '*' in events:
            raise InvalidOption('enabled_events', "must not be '*' with tbs=true: the Tenant Billing Server handles "
                                f"{', '.join(TBS_EVENTS)}")
        missing = [event for event in TBS_EVENTS if event not in events]
        if missing:
            raise InvalidOption(
                'enabled_events', f"must include {', '.join(missing)} with tbs=true (the Tenant Billing "
                "Server creates, updates and suspends tenants on these events)")
    if params['endpoint_api_version'] not in (None, TBS_API_VERSION):
        raise InvalidOption(
            'endpoint_api_version', f"must be {TBS_API_VERSION} with tbs=true: the Tenant Billing Server "
            f"(The Things Stack 3.25.0 and later) refuses events of other versions, "
            f"got {params['endpoint_api_version']!r}")


def check_endpoint_options(params):
    """Every input rule of stripe_webhook_endpoint, before the first request."""
    check_endpoint_id('id', params['id'])
    if params['tts_url'] is not None:
        if not params['tbs']:
            raise InvalidOption(
                'tts_url', 'is only used with tbs=true (the endpoint is then TTS_URL/api/v3/tbs/stripe); '
                'give the whole address as url otherwise')
        check_endpoint('tts_url', params['tts_url'], params['allow_http'], 'allow_http',
                       'the https:// base address of The Things Stack, such as https://thethings.example.com')
    url = endpoint_url(params)
    if url is not None:
        check_endpoint('url', url, params['allow_http'], 'allow_http', URL_RULE)
    check_api_version('endpoint_api_version', params['endpoint_api_version'])
    check_events('enabled_events', params['enabled_events'])
    if params['tbs']:
        if url is None:
            raise InvalidOption('tbs', 'needs tts_url (the base address of The Things Stack) or url (ending with '
                                f"{TBS_PATH})")
        check_tbs(params, params['url'])
    if params['secret_file'] is not None:
        check_secret_file('secret_file', params['secret_file'])


def find_endpoint(api, endpoint_id=None, url=None):
    """The one endpoint the options identify (by ID, else by exact URL), None when there is none; fails when several
    endpoints have the URL."""
    if endpoint_id:
        return api.retrieve(api.v1.webhook_endpoints.retrieve, endpoint_id)
    found = list_endpoints(api, url)
    if len(found) > 1:
        ids = [endpoint['id'] for endpoint in found]
        raise TenancyError(
            f"url: {len(found)} webhook endpoints have the URL {url!r}: {', '.join(ids)}; delete the "
            "extra ones or give id to pick one", candidates=ids)
    return found[0] if found else None


def list_endpoints(api, url=None):
    """Every webhook endpoint of the account (all pages), or those with exactly ``url``; never with a secret."""
    return [public(endpoint) for endpoint in api.list_all(api.v1.webhook_endpoints.list) if url is None or endpoint.get('url') == url]


def check_secret_file(option, path):
    """The file's directory exists (the secret is written right after the create, which cannot be undone)."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.path.isdir(directory):
        raise InvalidOption(option, f"{path!r} must be a file in an existing directory on the controller")


def refuse_overwrite(option, path, overwrite):
    """Before a create: an existing secret file is replaced only when the task says so."""
    if path and not overwrite and os.path.exists(path) and os.path.getsize(path):
        raise InvalidOption(
            option, f"{path!r} exists and would be replaced by the new endpoint's signing secret: set "
            "overwrite_secret_file=true, or name another file")


def save_secret(path, secret):
    """Write the signing secret to ``path`` with mode 0600 (atomically: a reader never sees a partial file)."""
    if not isinstance(secret, str) or not SECRET_RE.match(secret):
        raise TenancyError(f"secret_file: Stripe returned no signing secret of the form whsec_...; {path} was not written")
    descriptor, temporary = tempfile.mkstemp(prefix='.secret-', dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(descriptor, 'w', encoding='utf-8') as handle:
            handle.write(secret)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except OSError as exc:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise TenancyError(f"secret_file: could not write {path}: {exc.strerror}") from None
