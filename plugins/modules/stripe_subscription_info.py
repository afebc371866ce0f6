# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stripe_subscription_info
short_description: Read the Stripe subscriptions of The Things Stack tenants
version_added: 0.1.0
description:
  - Returns one subscription by O(id), the subscriptions of O(customer), the subscription of O(tenant_id),
    or every subscription that carries a C(tenant-id) metadata key (all pages).
  - Lists use Stripe's strongly consistent list API, never search.
  - Read-only; never reports a change and works the same in check mode.
author:
  - Thingsstack Tenancy Developers (@thingsstack)
options:
  id:
    description:
      - ID of one subscription (C(sub_...)), returned in any status. A missing subscription gives an empty list.
    type: str
  customer:
    description:
      - Return the subscriptions of this customer, by ID (C(cus_...)) or exact email address, with or without a C(tenant-id).
      - An email that no customer has gives an empty list.
    type: str
  tenant_id:
    description: Return only subscriptions whose C(tenant-id) metadata is this tenant ID.
    type: str
  include_canceled:
    description:
      - Also return C(canceled) and C(incomplete_expired) subscriptions. Has no effect with O(id).
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes.info_module
  - thingsstack.tenancy.stripe
seealso:
  - module: thingsstack.tenancy.stripe_subscription
"""

EXAMPLES = r"""
- name: Find the subscription of the tenant acme
  thingsstack.tenancy.stripe_subscription_info:
    tenant_id: acme
  register: acme

- name: List every tenant subscription, ended ones included, for an audit
  thingsstack.tenancy.stripe_subscription_info:
    include_canceled: true
  register: tenants

- name: Show tenant IDs and statuses
  ansible.builtin.debug:
    msg: "{{ tenants.subscriptions | map(attribute='metadata') | map(attribute='tenant-id') | zip(tenants.subscriptions | map(attribute='status')) }}"
"""

RETURN = r"""
subscriptions:
  description:
    - The matching subscriptions as Stripe returns them, newest first, with the C(admin-password) metadata masked.
  returned: always
  type: list
  elements: dict
  sample:
    - id: sub_1Pgc6rB7WZ01zgkWNy0Cn5nw
      object: subscription
      customer: cus_QXg1o8vcGmoR32
      status: active
      metadata: {tenant-id: acme, tenant-name: Acme Corp}
      items:
        data: [{id: si_QXhVnC2h0Jczwc, price: {id: price_1PgafmB7WZ01zgkW6dKueIc5}, quantity: 1}]
"""

from ansible_collections.thingsstack.tenancy.plugins.module_utils.controller import run_on_controller
from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import stripe_argument_spec

ARGUMENT_SPEC = dict(
    stripe_argument_spec(),
    id=dict(type='str'),
    customer=dict(type='str'),
    tenant_id=dict(type='str'),
    include_canceled=dict(type='bool', default=False),
)  # yapf: disable

ARGUMENT_RULES = dict(mutually_exclusive=[('id', 'customer')])


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
