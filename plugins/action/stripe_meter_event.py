# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.stripe_meter_event (documented in plugins/modules/stripe_meter_event.py)."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_meter_event
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_action import StripeAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_meters import check_meter_event_options, is_duplicate_event


class ActionModule(StripeAction):
    MODULE = stripe_meter_event

    def validate(self, params):
        check_meter_event_options(params)

    def ensure(self, api, params):
        payload = {
            'event_name': params['event_name'], 'identifier': params['identifier'], 'payload':
            {params['customer_payload_key']: params['customer'], params['value_payload_key']: str(params['value'])}
        }
        if params['timestamp'] is not None:
            payload['timestamp'] = params['timestamp']
        predicted = dict(payload, object='billing.meter_event')
        try:
            # api.write keeps one idempotency key for every retry of this request.
            event = self.write(predicted, api.write, api.v1.billing.meter_events.create, params=payload)
        except ApiError as exc:
            if not is_duplicate_event(exc):
                raise
            return {'changed': False, 'duplicate': True, 'event': predicted}
        return {'changed': True, 'duplicate': False, 'event': event, 'diff': {'before': {}, 'after': event}}
