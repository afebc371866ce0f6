# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stripe_meter_event
short_description: Send one usage event to a Stripe Billing Meter, at most once
version_added: 0.2.0
description:
  - Sends one meter event (C(POST /v1/billing/meter_events)) for a customer, with an O(identifier) that Stripe
    de-duplicates; an event whose identifier Stripe has already received (within at least 24 hours) is not counted
    again, and the task reports RV(duplicate) and C(changed=false) instead of failing.
  - "One request; retries of it (connection errors, 429, 5xx) reuse one idempotency key, so a lost answer never counts
    twice either."
  - In check mode nothing is sent and the task reports C(changed=true). The diff shows the event sent.
author:
  - Thingsstack Tenancy Developers (@thingsstack)
options:
  event_name:
    description: The event name of the meter (its C(event_name)), 1 to 100 characters.
    type: str
    required: true
  customer:
    description: ID of the customer (C(cus_...)) the usage is billed to.
    type: str
    required: true
  value:
    description: The usage to report, a whole number of 0 or more.
    type: int
    required: true
  identifier:
    description:
      - Unique identifier of the event, 1 to 100 characters; the same identifier is counted once.
      - Choose one per thing counted and period, such as C(acme-2026120714) for the tenant C(acme) and the hour 14 UTC.
    type: str
    required: true
  timestamp:
    description:
      - Time of the usage, in seconds since the Unix epoch; Stripe accepts the past 35 days up to 5 minutes ahead.
        Without it Stripe uses the time it receives the event.
    type: int
  customer_payload_key:
    description: The payload key of the customer ID, the meter's C(customer_mapping.event_payload_key).
    type: str
    default: stripe_customer_id
  value_payload_key:
    description: The payload key of the value, the meter's C(value_settings.event_payload_key).
    type: str
    default: value
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes
  - thingsstack.tenancy.stripe
seealso:
  - module: thingsstack.tenancy.stripe_meter
  - module: thingsstack.tenancy.stripe_meter_info
"""

EXAMPLES = r"""
- name: Report the end devices of the tenant acme for this hour
  thingsstack.tenancy.stripe_meter_event:
    event_name: tts_end_devices
    customer: cus_QXg1o8vcGmoR32
    value: 950
    identifier: "acme-{{ now(utc=true).strftime('%Y%m%d%H') }}"
"""

RETURN = r"""
duplicate:
  description: True when Stripe had already received an event with this identifier (nothing counted again).
  returned: always
  type: bool
  sample: false
event:
  description: The event as sent (as Stripe returned it when it was accepted).
  returned: always
  type: dict
  sample:
    object: billing.meter_event
    event_name: tts_end_devices
    identifier: acme-2026120714
    payload: {stripe_customer_id: cus_QXg1o8vcGmoR32, value: '950'}
"""

from ansible_collections.thingsstack.tenancy.plugins.module_utils.controller import run_on_controller
from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import stripe_argument_spec

ARGUMENT_SPEC = dict(
    stripe_argument_spec(),
    event_name=dict(type='str', required=True),
    customer=dict(type='str', required=True),
    value=dict(type='int', required=True),
    identifier=dict(type='str', required=True),
    timestamp=dict(type='int'),
    customer_payload_key=dict(type='str', default='stripe_customer_id', no_log=False),
    value_payload_key=dict(type='str', default='value', no_log=False),
)  # yapf: disable

ARGUMENT_RULES = {}


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
