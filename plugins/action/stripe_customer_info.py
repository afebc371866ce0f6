# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.stripe_customer_info (documented in plugins/modules/stripe_customer_info.py)."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_customer_info
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_action import StripeAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_customers import (list_customers, matches_metadata,
                                                                                           retrieve_customer)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.validation import check_email, check_metadata


class ActionModule(StripeAction):
    MODULE = stripe_customer_info

    def validate(self, params):
        check_email('email', params['email'])
        check_metadata('match_metadata', params['match_metadata'])

    def ensure(self, api, params):
        if params['id']:
            customer = retrieve_customer(api, params['id'])
            customers = [customer] if customer and matches_metadata(customer, params['match_metadata']) else []
        else:
            customers = list_customers(api, params['email'], params['match_metadata'])
        return {'changed': False, 'customers': customers}
