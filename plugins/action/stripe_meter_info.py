# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.stripe_meter_info (documented in plugins/modules/stripe_meter_info.py)."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_meter_info
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_action import StripeAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_meters import check_event_name, check_meter_id, list_meters, retrieve_meter


class ActionModule(StripeAction):
    MODULE = stripe_meter_info

    def validate(self, params):
        check_meter_id('id', params['id'])
        check_event_name('event_name', params['event_name'])

    def ensure(self, api, params):
        if params['id']:
            meter = retrieve_meter(api, params['id'])
            found = [meter] if meter and params['status'] in (None, meter.get('status')) else []
        else:
            found = [
                meter for meter in list_meters(api, params['status'])
                if params['event_name'] is None or meter.get('event_name') == params['event_name']
            ]
        return {'changed': False, 'meters': found}
