# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.stripe_meter (documented in plugins/modules/stripe_meter.py)."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_meter
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import apply_changes
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_action import StripeAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_meters import check_meter_options, find_meter, refuse_frozen, summary


class ActionModule(StripeAction):
    MODULE = stripe_meter
    RESULT_KEY = 'meter'
    summary = staticmethod(summary)

    def validate(self, params):
        check_meter_options(params)

    def ensure(self, api, params):
        current = find_meter(api, params['event_name'])
        if params['state'] == 'absent':
            return self.deactivate(api, current)
        if current is None:
            return self.create(api, params)
        refuse_frozen(current, params)
        after = current
        if current.get('status') != 'active':
            after = self.status_change(api, api.v1.billing.meters.reactivate, current, 'active')
        changes = self.changes(after, {'display_name': params['display_name']} if params['display_name'] else {})
        after = self.updated(api, api.v1.billing.meters, after, changes)
        keys = [key for key in ('status', 'display_name') if after.get(key) != current.get(key)]
        if not keys:
            return self.unchanged_result(current)
        return self.updated_result(after, current, after, keys)

    def create(self, api, params):
        missing = [option for option in ('display_name', 'default_aggregation') if not params[option]]
        if missing:
            raise TenancyError(f"{missing[0]}: required to create the meter {params['event_name']!r}, which does not exist "
                               f"(missing: {', '.join(missing)})")
        payload = {
            'event_name': params['event_name'], 'display_name': params['display_name'], 'default_aggregation':
            {'formula': params['default_aggregation']['formula']}
        }
        for option in ('customer_mapping', 'value_settings'):
            if params[option]:
                payload[option] = dict(params[option])
        if params['event_time_window']:
            payload['event_time_window'] = params['event_time_window']
        predicted = {
            'id': None, 'object': 'billing.meter', 'status': 'active', 'customer_mapping':
            {'event_payload_key': 'stripe_customer_id', 'type': 'by_id'}, 'value_settings': {'event_payload_key':
                                                                                             'value'}, 'event_time_window': None, **payload
        }
        meter = self.created(api, api.v1.billing.meters, params=payload, natural_key=['meter', params['event_name']], kind='meter',
                             predicted=predicted)
        return self.created_result(meter)

    def deactivate(self, api, current):
        if current is None:
            return self.missing_result()
        if current.get('status') != 'active':
            return self.unchanged_result(current)
        after = self.status_change(api, api.v1.billing.meters.deactivate, current, 'inactive')
        return self.updated_result(after, current, after, ['status'])

    def status_change(self, api, method, current, status):
        return self.write(apply_changes(current, {'status': status}), api.write, method, current['id'])
