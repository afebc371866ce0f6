# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.stripe_price_info (documented in plugins/modules/stripe_price_info.py)."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_price_info
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_action import StripeAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_prices import list_prices, product_id, retrieve_price, tbs_plans


class ActionModule(StripeAction):
    MODULE = stripe_price_info

    def ensure(self, api, params):
        if params['id']:
            price = retrieve_price(api, params['id'])
            matches = price and params['product'] in (None, product_id(price)) and params['active'] in (None, price.get('active'))
            prices = [price] if matches else []
        else:
            prices = list_prices(api, params['lookup_keys'], params['product'], params['active'])
        return {'changed': False, 'prices': prices, 'tbs_plans': tbs_plans(prices)}
