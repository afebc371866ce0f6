# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stripe_meter
short_description: Ensure a Stripe Billing Meter exists as declared, for usage-based (metered) prices
version_added: 0.2.0
description:
  - Creates, renames, deactivates or reactivates one Stripe Billing Meter, what a metered price (O(thingsstack.tenancy.stripe_price#module:recurring.meter))
    bills by since Stripe API C(2025-03-31.basil). Usage is sent to it as meter events per customer.
  - The meter is found by its O(event_name), the name its meter events carry (Stripe keeps an event name on one active
    meter), with Stripe's strongly consistent list API.
  - Stripe lets only O(display_name) change after creation. A task that declares another O(default_aggregation),
    O(customer_mapping), O(value_settings) or O(event_time_window) than the meter has fails before any write and says so.
  - Only the options that are given are compared and written. A second identical run changes nothing and sends no
    write request.
author:
  - Thingsstack Tenancy Developers (@thingsstack)
options:
  event_name:
    description:
      - The name of the meter events this meter counts, for example V(tts_end_devices). 1 to 100 characters; the identity
        of the meter.
    type: str
    required: true
  display_name:
    description:
      - The meter's name in the Stripe Dashboard (not shown to customers). Required to create the meter; the only
        setting Stripe can change afterwards.
    type: str
  state:
    description:
      - V(present) creates the meter, or reactivates it when it was deactivated.
      - V(absent) deactivates it (Stripe never deletes a meter); its events are then refused and prices cannot use it.
    type: str
    choices: [present, absent]
    default: present
  default_aggregation:
    description: How Stripe aggregates the meter's events in a billing period. Required to create the meter.
    type: dict
    suboptions:
      formula:
        description:
          - V(sum) adds the events' values, V(count) counts the events, V(last) takes the last value of the period (for
            example the number of registered end devices reported hourly).
        type: str
        choices: [count, sum, last]
        required: true
  customer_mapping:
    description: How an event names its customer. Stripe's default is the payload key C(stripe_customer_id), by customer ID.
    type: dict
    suboptions:
      event_payload_key:
        description: The payload key that holds the Stripe customer ID.
        type: str
        required: true
      type:
        description: How the key maps to a customer; Stripe knows only V(by_id).
        type: str
        choices: [by_id]
        default: by_id
  value_settings:
    description: Where an event carries its value. Stripe's default is the payload key C(value).
    type: dict
    suboptions:
      event_payload_key:
        description: The payload key that holds the value.
        type: str
        required: true
  event_time_window:
    description:
      - For events pre-aggregated per V(hour) or V(day), the window they cover; not given means raw events.
    type: str
    choices: [day, hour]
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes
  - thingsstack.tenancy.stripe
seealso:
  - module: thingsstack.tenancy.stripe_meter_info
  - module: thingsstack.tenancy.stripe_price
  - name: Stripe API billing meters
    description: The meter object and its endpoints.
    link: https://docs.stripe.com/api/billing/meter
"""

EXAMPLES = r"""
- name: A meter of the end devices registered in a tenant, reported as the last value of each period
  thingsstack.tenancy.stripe_meter:
    event_name: tts_end_devices
    display_name: Registered end devices
    default_aggregation:
      formula: last
  register: devices_meter

- name: A price per end device, billed by the meter
  thingsstack.tenancy.stripe_price:
    lookup_key: tts-devices-monthly
    product: prod_TtsEnterprise
    currency: eur
    unit_amount: 50
    recurring:
      interval: month
      usage_type: metered
      meter: tts_end_devices

- name: Deactivate the meter
  thingsstack.tenancy.stripe_meter:
    event_name: tts_end_devices
    state: absent
"""

RETURN = r"""
meter:
  description:
    - The meter after the task, as Stripe returns it (in check mode, as it would be); empty when there is none.
  returned: always
  type: dict
  sample:
    id: mtr_61Q9Xb8cR7mR8vW1c41IYlJ0r6ob2Gca
    object: billing.meter
    event_name: tts_end_devices
    display_name: Registered end devices
    status: active
    default_aggregation: {formula: last}
    customer_mapping: {event_payload_key: stripe_customer_id, type: by_id}
    value_settings: {event_payload_key: value}
    event_time_window: null
"""

from ansible_collections.thingsstack.tenancy.plugins.module_utils.controller import run_on_controller
from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import stripe_argument_spec

ARGUMENT_SPEC = dict(
    stripe_argument_spec(),
    event_name=dict(type='str', required=True),
    display_name=dict(type='str'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    default_aggregation=dict(type='dict', options=dict(
        formula=dict(type='str', choices=['count', 'sum', 'last'], required=True),
    )),
    customer_mapping=dict(type='dict', options=dict(
        event_payload_key=dict(type='str', required=True, no_log=False),
        type=dict(type='str', choices=['by_id'], default='by_id'),
    )),
    value_settings=dict(type='dict', options=dict(
        event_payload_key=dict(type='str', required=True, no_log=False),
    )),
    event_time_window=dict(type='str', choices=['day', 'hour']),
)  # yapf: disable

ARGUMENT_RULES = {}


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
