# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.stripe_customer (documented in plugins/modules/stripe_customer.py)."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_customer
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_action import StripeAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import stringify
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_customers import (brief_tax_ids, check_customer_options,
                                                                                           check_expected, customer_update, desired_fields,
                                                                                           find_customer, same_tax_ids, tax_id_changes)


class ActionModule(StripeAction):
    MODULE = stripe_customer
    RESULT_KEY = 'customer'
    SUMMARY = ('id', 'email', 'name', 'description', 'metadata')

    def validate(self, params):
        check_customer_options(params)

    def ensure(self, api, params):
        current = find_customer(api, params['id'], params['email'], params['match_metadata'])
        check_expected(params, current)
        if params['state'] == 'absent':
            return self.delete(api, current)
        if current is None and params['id']:
            raise self.unknown_id(params['id'], 'leave out id to create a new customer', exists='does not exist or was deleted')
        desired = desired_fields(params)
        if current is None:
            return self.create(api, params, desired)
        return self.update(api, params, current, desired)

    def create(self, api, params, desired):
        payload = without_empty(desired)
        metadata = {k: stringify(v) for k, v in {**(params['match_metadata'] or {}), **(params['metadata'] or {})}.items()}
        metadata = {k: v for k, v in metadata.items() if v}
        if metadata:
            payload['metadata'] = metadata
        tax_ids = [{'type': t['type'], 'value': t['value']} for t in params['tax_ids'] or []]
        if tax_ids:
            payload['tax_id_data'] = tax_ids
        customer = self.created(api, api.v1.customers, params=payload, natural_key=['customer', params['email'], params['match_metadata']],
                                kind='customer', predicted=dict(payload, id=None, object='customer'))
        if params['tax_ids'] is not None:
            customer['tax_ids'] = tax_ids if self.check_mode else brief_tax_ids(api.list_all(api.v1.customers.tax_ids.list, customer['id']))
        payload.pop('tax_id_data', None)
        after = dict(payload, **({'tax_ids': tax_ids} if tax_ids else {}))
        return self.created_result(customer, after)

    def update(self, api, params, current, desired):
        changes = customer_update(current, params, desired)
        after = self.updated(api, api.v1.customers, current, changes)
        keys = list(changes)
        before = current
        if params['tax_ids'] is not None:
            before = dict(current, tax_ids=brief_tax_ids(api.list_all(api.v1.customers.tax_ids.list, current['id'])))
            after['tax_ids'] = self.sync_tax_ids(api, current['id'], before['tax_ids'], params)
            if not same_tax_ids(before['tax_ids'], after['tax_ids']):
                keys.append('tax_ids')
        if not keys:
            return self.unchanged_result(after)
        return self.updated_result(after, before, after, keys)

    def sync_tax_ids(self, api, customer_id, current, params):
        """Add the missing tax IDs and, with purge_tax_ids, remove the extra ones; returns the resulting list."""
        removed, added = tax_id_changes(current, params)
        for tax_id in removed:
            self.write(None, api.write, api.v1.customers.tax_ids.delete, customer_id, tax_id['id'])
        result = [t for t in current if t not in removed]
        for tax_type, value in added:
            created = self.created(api, api.v1.customers.tax_ids, customer_id, params={'type': tax_type, 'value':
                                                                                       value}, natural_key=[customer_id, tax_type, value],
                                   kind='tax_id', predicted={'id': None, 'type': tax_type, 'value': value})
            result.append(brief_tax_ids([created])[0])
        return result

    def delete(self, api, current):
        if current is None:
            return self.missing_result()
        customer = self.write({'id': current['id'], 'deleted': True}, api.write, api.v1.customers.delete, current['id'])
        return self.deleted_result(customer, current)


def without_empty(value):
    """A create payload: unset ('') values are simply not sent."""
    if isinstance(value, dict):
        return {k: without_empty(v) for k, v in value.items() if v != ''}
    return value
