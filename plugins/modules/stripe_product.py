# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stripe_product
short_description: Ensure a Stripe product exists exactly as declared
version_added: 0.1.0
description:
  - Creates, updates, archives or deletes one Stripe product, such as the The Things Stack Enterprise offer
    whose prices carry the tenant limits.
  - The product is found by O(id), or by exact O(name). Lookups use Stripe's strongly consistent list API,
    never search, so a quick re-run cannot create a duplicate.
  - Creates carry a deterministic idempotency key made from the natural key and a hash of the parameters,
    so a retried or concurrent create cannot make a second product.
  - Only the options that are given are compared and written. A second identical run changes nothing and
    sends no write request.
  - The Things Stack's Tenant Billing Server reads tenant limits from the metadata of a B(price) only, so C(max-*)
    keys in O(metadata) are refused; set them with O(thingsstack.tenancy.stripe_price#module:tenant_limits).
author:
  - Thingsstack Tenancy Developers (@thingsstack)
options:
  id:
    description:
      - ID of the product. Stripe accepts chosen product IDs, for example V(tts-enterprise); a product that
        does not exist yet is created with this ID.
      - Without O(id), the product is looked up by its exact O(name). Several products with that name make
        the task fail with their IDs; it never guesses.
    type: str
  name:
    description:
      - Name of the product, shown to customers on invoices and in the customer portal.
      - Required to create a product. With O(id) given, the name is updated like any other field.
    type: str
  state:
    description:
      - V(present) creates or updates the product.
      - V(absent) deletes the product when no price uses it. Stripe cannot delete a product that has prices
        (archived ones included), so such a product is archived (O(active=false)) instead, with a warning.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Description of the product. An empty string removes it.
    type: str
  active:
    description:
      - Whether the product is available for new purchases. Not given leaves it unchanged; a new product is active.
    type: bool
  unit_label:
    description:
      - What one unit of the product is called on invoices and receipts, for example V(device) or V(tenant), as the
        The Things Stack docs suggest for the products of Tenant Billing Server plans. At most 12 characters.
      - An empty string removes it.
    type: str
    version_added: 0.2.0
  statement_descriptor:
    description:
      - What customers' bank statements show for subscription payments of the product. 5 to 22 characters with at
        least one letter and none of C(<), C(>), C(\), C('), C("), C(*) (Stripe's rules).
      - An empty string removes it.
    type: str
    version_added: 0.2.0
  tax_code:
    description:
      - Stripe Tax code of the product, for example V(txcd_10103001) (software as a service for business use).
      - An empty string removes it.
    type: str
    version_added: 0.2.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes
  - thingsstack.tenancy.stripe
  - thingsstack.tenancy.stripe.metadata
seealso:
  - module: thingsstack.tenancy.stripe_product_info
  - module: thingsstack.tenancy.stripe_price
  - name: Stripe API products
    description: The product object and its endpoints.
    link: https://docs.stripe.com/api/products
"""

EXAMPLES = r"""
- name: Ensure the The Things Stack Enterprise product
  thingsstack.tenancy.stripe_product:
    id: tts-enterprise
    name: The Things Stack Enterprise
    description: Private LoRaWAN network server tenant
    unit_label: tenant
    statement_descriptor: TTS ENTERPRISE
    metadata:
      offer: enterprise
  register: tts_product

- name: Find a product by its exact name and archive it
  thingsstack.tenancy.stripe_product:
    name: Legacy plan
    active: false

- name: Delete a product, or archive it when prices use it
  thingsstack.tenancy.stripe_product:
    id: tts-trial
    state: absent
"""

RETURN = r"""
product:
  description:
    - The product after the task, as Stripe returns it (in check mode, as it would be).
    - After a deletion only C(id), C(object) and C(deleted); empty when there was nothing to delete.
  returned: always
  type: dict
  sample:
    id: tts-enterprise
    object: product
    active: true
    name: The Things Stack Enterprise
    description: Private LoRaWAN network server tenant
    unit_label: tenant
    statement_descriptor: TTS ENTERPRISE
    tax_code: null
    metadata: {offer: enterprise}
archived:
  description:
    - Whether O(state=absent) archived the product instead of deleting it, because prices use it.
  returned: when O(state=absent) and the product exists
  type: bool
  sample: true
"""

from ansible_collections.thingsstack.tenancy.plugins.module_utils.controller import run_on_controller
from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import metadata_argument_spec, stripe_argument_spec

ARGUMENT_SPEC = dict(
    stripe_argument_spec(),
    id=dict(type='str'),
    name=dict(type='str'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    description=dict(type='str'),
    active=dict(type='bool'),
    unit_label=dict(type='str'),
    statement_descriptor=dict(type='str'),
    tax_code=dict(type='str'),
    **metadata_argument_spec()
)  # yapf: disable

ARGUMENT_RULES = dict(required_one_of=[('id', 'name')])


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
