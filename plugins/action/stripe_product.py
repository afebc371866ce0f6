# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.stripe_product (documented in plugins/modules/stripe_product.py)."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_product
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_action import StripeAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import metadata_changes, stringify
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_products import check_product_options, find_product, product_prices
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.validation import check_metadata

FIELDS = ('name', 'description', 'active', 'unit_label', 'statement_descriptor', 'tax_code')


class ActionModule(StripeAction):
    MODULE = stripe_product
    RESULT_KEY = 'product'
    SUMMARY = ('id', 'name', 'description', 'active', 'unit_label', 'statement_descriptor', 'tax_code', 'metadata')

    def validate(self, params):
        check_product_options(params)
        check_metadata('metadata', params['metadata'])

    def ensure(self, api, params):
        current = find_product(api, params['id'], params['name'])
        if params['state'] == 'absent':
            return self.remove(api, current)
        desired = desired_fields(params)
        if current is None:
            return self.create(api, params, desired)
        return self.update(api, params, current, desired)

    def create(self, api, params, desired):
        if not params['name']:
            raise TenancyError(f"name: required to create the product {params['id']!r}, which does not exist")
        payload = {key: value for key, value in desired.items() if value != ''}
        if params['id']:
            payload['id'] = params['id']
        metadata = {key: stringify(value) for key, value in (params['metadata'] or {}).items()}
        metadata = {key: value for key, value in metadata.items() if value}
        if metadata:
            payload['metadata'] = metadata
        product = self.created(api, api.v1.products, params=payload, natural_key=['product', params['id'] or params['name']],
                               kind='product', predicted=dict(payload, id=params['id'], object='product'))
        return self.created_result(product, payload)

    def update(self, api, params, current, desired):
        changes = self.changes(current, desired, metadata_changes(current.get('metadata'), params['metadata'], params['purge_metadata']))
        if not changes:
            return self.unchanged_result(current)
        after = self.updated(api, api.v1.products, current, changes)
        return self.updated_result(after, current, after, list(changes))

    def remove(self, api, current):
        """Delete the product, or archive it when prices use it (Stripe refuses to delete those)."""
        if current is None:
            return self.missing_result()
        prices, more = product_prices(api, current['id'])
        if not prices:
            product = self.write({'id': current['id'], 'object': 'product', 'deleted': True}, api.write, api.v1.products.delete,
                                 current['id'])
            return self.deleted_result(product, current, archived=False)
        used_by = ', '.join(prices) + (' and more' if more else '')
        if not current.get('active'):
            return self.unchanged_result(
                current, archived=True, msg=f"product {current['id']} is already archived; "
                f"it cannot be deleted because prices use it ({used_by})")
        msg = f"product {current['id']} was archived (active: false) instead of deleted because prices use it ({used_by})"
        self.warnings.append(msg)
        after = self.updated(api, api.v1.products, current, {'active': False})
        return self.updated_result(after, current, after, ['active'], archived=True, msg=msg)


def desired_fields(params):
    """The product fields the task sets, in Stripe's update format ('' unsets)."""
    return {field: params[field] for field in FIELDS if params[field] is not None}
