# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stripe_meter_info
short_description: Read Stripe Billing Meters
version_added: 0.2.0
description:
  - Returns one meter by O(id), the meters with an O(event_name), or all meters of the account (every page),
    optionally only those in one O(status).
  - Read-only; never reports a change and works the same in check mode.
author:
  - Thingsstack Tenancy Developers (@thingsstack)
options:
  id:
    description: ID of one meter (C(mtr_...)). A missing meter gives an empty list.
    type: str
  event_name:
    description: Return the meters whose event name is exactly this (at most one of them is active).
    type: str
  status:
    description: Return only V(active) or only V(inactive) (deactivated) meters.
    type: str
    choices: [active, inactive]
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes.info_module
  - thingsstack.tenancy.stripe
seealso:
  - module: thingsstack.tenancy.stripe_meter
"""

EXAMPLES = r"""
- name: Read the meter of the registered end devices
  thingsstack.tenancy.stripe_meter_info:
    event_name: tts_end_devices
    status: active
  register: devices_meter

- name: Fail unless it exists
  ansible.builtin.assert:
    that: devices_meter.meters | length == 1
"""

RETURN = r"""
meters:
  description: The matching meters as Stripe returns them, newest first.
  returned: always
  type: list
  elements: dict
  sample:
    - id: mtr_61Q9Xb8cR7mR8vW1c41IYlJ0r6ob2Gca
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
    id=dict(type='str'),
    event_name=dict(type='str'),
    status=dict(type='str', choices=['active', 'inactive']),
)  # yapf: disable

ARGUMENT_RULES = dict(mutually_exclusive=[('id', 'event_name')])


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
