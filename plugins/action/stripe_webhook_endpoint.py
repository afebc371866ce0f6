# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.stripe_webhook_endpoint (documented in plugins/modules/stripe_webhook_endpoint.py)."""

from __future__ import annotations

import os

from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_webhook_endpoint
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import apply_metadata, metadata_changes, stringify
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_action import StripeAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_webhooks import (SUMMARY, TBS_API_VERSION, TBS_DESCRIPTION,
                                                                                          TBS_EVENTS, TBS_SECRET_KEY,
                                                                                          check_endpoint_options, endpoint_url,
                                                                                          find_endpoint, public, refuse_overwrite,
                                                                                          save_secret)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.validation import check_metadata


class ActionModule(StripeAction):
    MODULE = stripe_webhook_endpoint
    RESULT_KEY = 'webhook_endpoint'
    SUMMARY = SUMMARY

    def validate(self, params):
        check_endpoint_options(params)
        check_metadata('metadata', params['metadata'])

    def ensure(self, api, params):
        url = endpoint_url(params)
        current = find_endpoint(api, params['id'], url)
        if params['state'] == 'absent':
            return self.remove(api, current)
        if params['tbs']:
            params = dict(params, enabled_events=params['enabled_events'] or list(TBS_EVENTS),
                          endpoint_api_version=params['endpoint_api_version'] or TBS_API_VERSION)
        if current is None:
            if params['id']:
                raise TenancyError(f"id: no webhook endpoint {params['id']} exists; Stripe chooses the ID of a new endpoint, "
                                   "so declare it by url to create it")
            return self.create(api, params, url)
        frozen = params['endpoint_api_version'] not in (None, current.get('api_version'))
        if frozen and not params['recreate']:
            raise TenancyError(f"endpoint_api_version: Stripe cannot change the API version of webhook endpoint {current['id']} "
                               f"({current.get('api_version') or 'the account default'} -> {params['endpoint_api_version']}); set "
                               "recreate=true to delete it and create a new endpoint, which has a new signing secret")
        if frozen:
            return self.recreate(api, params, current, url)
        return self.update(api, params, current, url)

    def create(self, api, params, url):
        if not params['enabled_events']:
            raise TenancyError(f"enabled_events: required to create the webhook endpoint for {url!r}, which does not exist")
        refuse_overwrite('secret_file', params['secret_file'], params['overwrite_secret_file'])
        payload = {'url': url, 'enabled_events': unique(params['enabled_events'])}
        if params['endpoint_api_version']:
            payload['api_version'] = params['endpoint_api_version']
        description = params['description'] if params['description'] is not None or not params['tbs'] else TBS_DESCRIPTION
        if description:
            payload['description'] = description
        if params['connect'] is not None:
            payload['connect'] = params['connect']
        metadata = {key: stringify(value) for key, value in (params['metadata'] or {}).items()}
        metadata = {key: value for key, value in metadata.items() if value}
        if metadata:
            payload['metadata'] = metadata
        predicted = {
            'id': None, 'object': 'webhook_endpoint', 'api_version': payload.get('api_version'), 'description': payload.get('description'),
            'enabled_events': payload['enabled_events'], 'metadata': metadata, 'status': 'enabled', 'url': url
        }
        created = self.created(api, api.v1.webhook_endpoints, params=payload, natural_key=['webhook_endpoint', url],
                               kind='webhook_endpoint', predicted=predicted)
        saved = self.keep_secret(params, created)
        endpoint = public(created)
        if params['disabled']:
            endpoint = self.updated(api, api.v1.webhook_endpoints, endpoint, {'status': 'disabled'}, sent={'disabled': True})
        return self.created_result(endpoint, secret_saved=saved)

    def keep_secret(self, params, created):
        """Write a new endpoint's secret to ``secret_file`` and say where it must go; the secret never enters the result."""
        if self.check_mode:
            return False
        where = f"(in {params['secret_file']})" if params['secret_file'] else '(not saved: secret_file is not set)'
        if params['secret_file']:
            save_secret(params['secret_file'], created.get('secret'))
        else:
            self.warnings.append(f"Stripe returns the signing secret of webhook endpoint {created['id']} only when it is "
                                 "created, and secret_file is not set: reveal it in the Stripe Dashboard, or recreate the "
                                 "endpoint with secret_file")
        if params['tbs']:
            self.warnings.append(f"The Things Stack's {TBS_SECRET_KEY} must be set to the signing secret of webhook "
                                 f"endpoint {created['id']} {where}: the Tenant Billing Server refuses its events until then")
        return bool(params['secret_file'])

    def update(self, api, params, current, url):
        desired = {}
        if url is not None:
            desired['url'] = url
        if params['description'] is not None:
            desired['description'] = params['description']
        if params['disabled'] is not None:
            desired['status'] = 'disabled' if params['disabled'] else 'enabled'
        changes = self.changes(current, desired, metadata_changes(current.get('metadata'), params['metadata'], params['purge_metadata']))
        if params['enabled_events'] is not None and set(params['enabled_events']) != set(current.get('enabled_events') or ()):
            changes['enabled_events'] = unique(params['enabled_events'])
        self.warn_unsaved_secret(params, current)
        if not changes:
            return self.unchanged_result(public(current))
        sent = dict(changes)
        if 'status' in sent:
            sent['disabled'] = sent.pop('status') == 'disabled'
        after = public(self.updated(api, api.v1.webhook_endpoints, current, changes, sent=sent))
        return self.updated_result(after, current, after, list(changes))

    def warn_unsaved_secret(self, params, current):
        if params['secret_file'] and not os.path.exists(params['secret_file']):
            self.warnings.append(f"secret_file {params['secret_file']} does not exist, and Stripe returns the signing secret "
                                 f"of webhook endpoint {current['id']} only when it is created: reveal it in the Stripe "
                                 "Dashboard, or recreate the endpoint")

    def recreate(self, api, params, current, url):
        """Delete the endpoint and create it anew: the only way to change what Stripe cannot update."""
        refuse_overwrite('secret_file', params['secret_file'], params['overwrite_secret_file'])
        self.write(None, api.write, api.v1.webhook_endpoints.delete, current['id'])
        metadata = apply_metadata(current.get('metadata'),
                                  metadata_changes(current.get('metadata'), params['metadata'], params['purge_metadata']))
        carried = {
            'enabled_events': params['enabled_events'] or current.get('enabled_events'), 'metadata': metadata, 'description':
            current.get('description') or '' if params['description'] is None else params['description'], 'disabled':
            current.get('status') == 'disabled' if params['disabled'] is None else params['disabled']
        }
        result = self.create(api, dict(params, **carried), url or current['url'])
        new_id = result['webhook_endpoint']['id']
        self.warnings.append(f"webhook endpoint {current['id']} was replaced by {new_id or 'a new one'} (Stripe cannot change "
                             f"its API version): the new signing secret must replace the old one wherever its events are "
                             f"verified, for The Things Stack's Tenant Billing Server in {TBS_SECRET_KEY}")
        return dict(result, recreated={'deleted': current['id'], 'created': new_id},
                    diff={'before': self.summary(current), 'after': result['diff']['after']})

    def remove(self, api, current):
        if current is None:
            return self.missing_result()
        gone = self.write({'id': current['id'], 'object': 'webhook_endpoint', 'deleted': True}, api.write, api.v1.webhook_endpoints.delete,
                          current['id'])
        return self.deleted_result(public(gone), current)


def unique(events):
    """The event types in their order, each once."""
    return list(dict.fromkeys(events))
