# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.stripe_webhook_endpoint_info (documented in plugins/modules/stripe_webhook_endpoint_info.py)."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_webhook_endpoint_info
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_action import StripeAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_webhooks import check_endpoint_id, list_endpoints, public


class ActionModule(StripeAction):
    MODULE = stripe_webhook_endpoint_info

    def validate(self, params):
        check_endpoint_id('id', params['id'])

    def ensure(self, api, params):
        if params['id']:
            endpoint = api.retrieve(api.v1.webhook_endpoints.retrieve, params['id'])
            return {'changed': False, 'webhook_endpoints': [public(endpoint)] if endpoint else []}
        return {'changed': False, 'webhook_endpoints': list_endpoints(api, params['url'])}
