# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.stripe_product_info (documented in plugins/modules/stripe_product_info.py)."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_product_info
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_action import StripeAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_products import list_products, retrieve_product


class ActionModule(StripeAction):
    MODULE = stripe_product_info

    def ensure(self, api, params):
        if params['id']:
            product = retrieve_product(api, params['id'])
            products = [product] if product and params['active'] in (None, product.get('active')) else []
        else:
            products = list_products(api, params['name'], params['active'])
        return {'changed': False, 'products': products}
