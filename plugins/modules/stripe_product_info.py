# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stripe_product_info
short_description: Read Stripe products
version_added: 0.1.0
description:
  - Returns one product by O(id), the products with an exact O(name), or all products (every page),
    optionally only the active or only the archived ones.
  - Read-only; never reports a change and works the same in check mode.
author:
  - Thingsstack Tenancy Developers (@thingsstack)
options:
  id:
    description: ID of one product. A missing or deleted product gives an empty list.
    type: str
  name:
    description: Return the products with exactly this name.
    type: str
  active:
    description:
      - V(true) returns only active products, V(false) only archived ones. Not given returns both.
    type: bool
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes.info_module
  - thingsstack.tenancy.stripe
seealso:
  - module: thingsstack.tenancy.stripe_product
  - module: thingsstack.tenancy.stripe_price_info
"""

EXAMPLES = r"""
- name: Read the The Things Stack Enterprise product
  thingsstack.tenancy.stripe_product_info:
    id: tts-enterprise
  register: found

- name: List every active product
  thingsstack.tenancy.stripe_product_info:
    active: true
  register: catalog
"""

RETURN = r"""
products:
  description: The matching products as Stripe returns them, newest first.
  returned: always
  type: list
  elements: dict
  sample:
    - id: tts-enterprise
      object: product
      active: true
      name: The Things Stack Enterprise
      metadata: {}
"""

from ansible_collections.thingsstack.tenancy.plugins.module_utils.controller import run_on_controller
from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import stripe_argument_spec

ARGUMENT_SPEC = dict(
    stripe_argument_spec(),
    id=dict(type='str'),
    name=dict(type='str'),
    active=dict(type='bool'),
)  # yapf: disable

ARGUMENT_RULES = dict(mutually_exclusive=[('id', 'name')])


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
