# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stripe_price_info
short_description: Read Stripe prices
version_added: 0.1.0
description:
  - Returns one price by O(id), the prices with the given O(lookup_keys), or all prices (every page),
    optionally only those of one O(product) and only the active or only the archived ones.
  - The Things Stack tenant limits of a price are in its C(max-*) metadata.
  - RV(tbs_plans) lists the returned prices that are marked as plans of The Things Stack's Tenant Billing Server
    (metadata key C(tts-tbs-plan), set with O(thingsstack.tenancy.stripe_price#module:tbs_plan)).
  - Read-only; never reports a change and works the same in check mode.
author:
  - Thingsstack Tenancy Developers (@thingsstack)
options:
  id:
    description: ID of one price (C(price_...)). A missing price gives an empty list.
    type: str
  lookup_keys:
    description: Return the prices with these lookup keys.
    type: list
    elements: str
    aliases: [lookup_key]
  product:
    description: Return only prices of the product with this ID.
    type: str
  active:
    description:
      - V(true) returns only active prices, V(false) only archived ones. Not given returns both.
    type: bool
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes.info_module
  - thingsstack.tenancy.stripe
seealso:
  - module: thingsstack.tenancy.stripe_price
  - module: thingsstack.tenancy.stripe_product_info
"""

EXAMPLES = r"""
- name: Read the monthly plans by lookup key
  thingsstack.tenancy.stripe_price_info:
    lookup_keys: [tts-small-monthly, tts-large-monthly]
  register: plans

- name: List the active prices of the The Things Stack Enterprise product
  thingsstack.tenancy.stripe_price_info:
    product: tts-enterprise
    active: true
  register: offer

- name: The TBS plan IDs of the offer, active and archived, for tbs.stripe.recurring-plan-ids and metered-plan-ids
  thingsstack.tenancy.stripe_price_info:
    product: tts-enterprise
  register: all_prices

- name: Show them
  ansible.builtin.debug:
    msg: "recurring: {{ all_prices.tbs_plans.recurring }}, metered: {{ all_prices.tbs_plans.metered }}"

- name: Show the gateway limit of each plan
  ansible.builtin.debug:
    msg: "{{ item.lookup_key }}: {{ item.metadata['max-gateways'] | default('unlimited') }} gateways"
  loop: "{{ offer.prices }}"
"""

RETURN = r"""
prices:
  description: The matching prices as Stripe returns them, newest first.
  returned: always
  type: list
  elements: dict
  sample:
    - id: price_1PgafmB7WZ01zgkW6dKueIc5
      object: price
      active: true
      currency: eur
      lookup_key: tts-small-monthly
      product: tts-enterprise
      recurring: {interval: month, interval_count: 1}
      unit_amount: 9900
      metadata: {max-gateways: "10", max-users: "5", tts-tbs-plan: recurring}
tbs_plans:
  description:
    - The IDs of the returned prices that are marked as TBS plans, active and archived ones alike (an archived plan
      stays in the TBS configuration while subscriptions remain on it), in the order of RV(prices).
    - A mark other than V(recurring) or V(metered), or an ID that is not a Stripe price ID, is not a plan.
  returned: always
  type: dict
  version_added: 0.2.0
  contains:
    recurring:
      description: The IDs for C(tbs.stripe.recurring-plan-ids).
      type: list
      elements: str
      sample: [price_1PgafmB7WZ01zgkW6dKueIc5]
    metered:
      description: The IDs for C(tbs.stripe.metered-plan-ids).
      type: list
      elements: str
      sample: []
"""

from ansible_collections.thingsstack.tenancy.plugins.module_utils.controller import run_on_controller
from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import stripe_argument_spec

ARGUMENT_SPEC = dict(
    stripe_argument_spec(),
    id=dict(type='str'),
    lookup_keys=dict(type='list', elements='str', aliases=['lookup_key'], no_log=False),
    product=dict(type='str'),
    active=dict(type='bool'),
)  # yapf: disable

ARGUMENT_RULES = dict(mutually_exclusive=[('id', 'lookup_keys')])


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
