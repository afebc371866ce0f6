# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.stripe_subscription_info (documented in plugins/modules/stripe_subscription_info.py)."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_subscription_info
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_action import StripeAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_subscriptions import (check_customer_reference,
                                                                                               customer_subscriptions, is_live,
                                                                                               resolve_customer, retrieve_subscription,
                                                                                               tenant_of)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import SECRET_METADATA_KEYS


class ActionModule(StripeAction):
    MODULE = stripe_subscription_info
    RESULT_KEY = 'subscriptions'
    SECRET_KEYS = SECRET_METADATA_KEYS

    def validate(self, params):
        check_customer_reference('customer', params['customer'])

    def ensure(self, api, params):
        if params['id']:
            subscription = retrieve_subscription(api, params['id'])
            subscriptions = [subscription] if subscription else []
        elif params['customer']:
            customer_id = resolve_customer(api, params['customer'])
            subscriptions = customer_subscriptions(api, customer_id) if customer_id else []
        else:
            list_params = {'status': 'all'} if params['include_canceled'] else {}
            subscriptions = [sub for sub in api.list_all(api.v1.subscriptions.list, params=list_params) if tenant_of(sub)]
        if not params['id'] and not params['include_canceled']:
            subscriptions = [sub for sub in subscriptions if is_live(sub)]
        if params['tenant_id']:
            subscriptions = [sub for sub in subscriptions if tenant_of(sub) == params['tenant_id']]
        return self.unchanged_result(subscriptions)
