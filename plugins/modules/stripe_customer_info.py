# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stripe_customer_info
short_description: Read Stripe customers
version_added: 0.1.0
description:
  - Returns one customer by O(id), the customers with an exact O(email), or all customers (every page),
    optionally narrowed to those carrying O(match_metadata).
  - Read-only; never reports a change and works the same in check mode.
author:
  - Thingsstack Tenancy Developers (@thingsstack)
options:
  id:
    description: ID of one customer (C(cus_...)). A missing or deleted customer gives an empty list.
    type: str
  email:
    description: Return the customers with exactly this email address.
    type: str
  match_metadata:
    description: Return only customers whose metadata has all of these key/value pairs.
    type: dict
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes.info_module
  - thingsstack.tenancy.stripe
seealso:
  - module: thingsstack.tenancy.stripe_customer
"""

EXAMPLES = r"""
- name: Find the customer of one billing address
  thingsstack.tenancy.stripe_customer_info:
    email: billing@acme.example
  register: found

- name: List every customer that belongs to a tenant
  thingsstack.tenancy.stripe_customer_info:
    match_metadata:
      managed-by: thingsstack.tenancy
  register: managed
"""

RETURN = r"""
customers:
  description: The matching customers as Stripe returns them, newest first.
  returned: always
  type: list
  elements: dict
  sample:
    - id: cus_QXg1o8vcGmoR32
      object: customer
      email: billing@acme.example
      name: Acme Corp
      metadata: {}
"""

from ansible_collections.thingsstack.tenancy.plugins.module_utils.controller import run_on_controller
from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import stripe_argument_spec

ARGUMENT_SPEC = dict(
    stripe_argument_spec(),
    id=dict(type='str'),
    email=dict(type='str'),
    match_metadata=dict(type='dict'),
)  # yapf: disable

ARGUMENT_RULES = dict(mutually_exclusive=[('id', 'email')])


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
