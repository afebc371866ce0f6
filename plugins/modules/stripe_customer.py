# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stripe_customer
short_description: Ensure a Stripe customer exists exactly as declared
version_added: 0.1.0
description:
  - Creates, updates or deletes one Stripe customer, the first step of billing a
    The Things Stack Enterprise tenant through Stripe.
  - The customer is found by O(id), or by exact O(email) narrowed by O(match_metadata). Lookups use
    Stripe's strongly consistent list API, never search, so a quick re-run cannot create a duplicate.
  - Creates carry a deterministic idempotency key made from the natural key and a hash of the parameters,
    so a retried or concurrent create cannot make a second customer.
  - Only the options that are given are compared and written. A second identical run changes nothing and
    sends no write request.
author:
  - Thingsstack Tenancy Developers (@thingsstack)
options:
  id:
    description:
      - ID of an existing customer (C(cus_...)).
      - With O(state=present) the customer must exist; Stripe does not accept chosen customer IDs.
    type: str
  email:
    description:
      - Email address of the customer.
      - Without O(id), the customer is looked up by this exact address (Stripe compares it case-sensitively).
        Several customers with the address and O(match_metadata) make the task fail with their IDs; it never guesses.
    type: str
  match_metadata:
    description:
      - Metadata key/value pairs a customer must also carry to match the O(email) lookup.
      - They are written to a customer this module creates, so the next run finds it again.
    type: dict
  expected_id:
    description:
      - The ID (C(cus_...)) the customer that O(id) or O(email) finds must have. When it finds another customer, or
        none (so one would be created), the task fails before any write, naming both.
      - The role thingsstack.tenancy.tenant sets it to the owner of an existing tenant (its C(billing.stripe.customer_id)),
        so that an inventory that declares the tenant with another customer's email changes nothing in Stripe.
    type: str
  state:
    description:
      - V(present) creates or updates the customer.
      - V(absent) deletes it. Stripe then immediately cancels all of the customer's subscriptions, which
        suspends the tenants the Tenant Billing Server manages for them. Deletion cannot be undone.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Full name or company name of the customer, at most 256 characters (Stripe's limit).
    type: str
  description:
    description:
      - Description of the customer. The Things Stack uses it as the default tenant description.
    type: str
  phone:
    description: Phone number of the customer, at most 20 characters (Stripe's limit).
    type: str
  address:
    description:
      - Billing address. The given address replaces the whole current address; sub-options left out are unset.
    type: dict
    suboptions: &address
      line1:
        description: Address line 1 (street, PO box or company name).
        type: str
      line2:
        description: Address line 2 (apartment, suite, unit or building).
        type: str
      city:
        description: City, district, suburb, town or village.
        type: str
      state:
        description: State, county, province or region.
        type: str
      postal_code:
        description: ZIP or postal code.
        type: str
      country:
        description: Two-letter country code (ISO 3166-1 alpha-2), for example V(DE).
        type: str
  shipping:
    description:
      - Shipping information. Replaces the whole current shipping information.
    type: dict
    suboptions:
      name:
        description: Recipient name.
        type: str
        required: true
      phone:
        description: Recipient phone.
        type: str
      address:
        description: Shipping address.
        type: dict
        required: true
        suboptions: *address
  preferred_locales:
    description: The customer's preferred languages for invoices and emails, ordered by preference, for example V(de-DE).
    type: list
    elements: str
  invoice_settings:
    description: Default invoice settings of the customer.
    type: dict
    suboptions:
      custom_fields:
        description:
          - Up to four custom fields shown on invoices. The list replaces the current one; an empty list removes them.
        type: list
        elements: dict
        suboptions:
          name:
            description: Label of the field, at most 40 characters.
            type: str
            required: true
          value:
            description: Value of the field, at most 140 characters.
            type: str
            required: true
      footer:
        description: Default footer of the customer's invoices.
        type: str
  tax_exempt:
    description: Tax exemption status of the customer.
    type: str
    choices: [none, exempt, reverse]
  tax_ids:
    description:
      - Tax IDs of the customer. Missing ones are added.
      - Tax IDs the customer has beyond these are removed only with O(purge_tax_ids=true).
    type: list
    elements: dict
    suboptions:
      type:
        description: Stripe tax ID type, for example V(eu_vat), V(gb_vat), V(us_ein).
        type: str
        required: true
      value:
        description: The tax ID as Stripe stores it, for example V(DE123456789).
        type: str
        required: true
  purge_tax_ids:
    description: Remove tax IDs of the customer that are not in O(tax_ids). Has no effect when O(tax_ids) is not given.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes
  - thingsstack.tenancy.stripe
  - thingsstack.tenancy.stripe.metadata
seealso:
  - module: thingsstack.tenancy.stripe_customer_info
  - name: Stripe API customers
    description: The customer object and its endpoints.
    link: https://docs.stripe.com/api/customers
"""

EXAMPLES = r"""
- name: Ensure the customer of the tenant acme
  thingsstack.tenancy.stripe_customer:
    email: billing@acme.example
    name: Acme Corp
    description: LoRaWAN fleet of Acme Corp
    address:
      line1: Hauptstrasse 1
      postal_code: "10115"
      city: Berlin
      country: DE
    tax_ids:
      - type: eu_vat
        value: DE123456789
    metadata:
      crm-id: "4711"
  register: acme_customer

- name: Several customers share an address; tell them apart by metadata
  thingsstack.tenancy.stripe_customer:
    email: it@example.com
    match_metadata:
      tenant-id: example-lab
    name: Example Lab

- name: Remove one metadata key and keep the others
  thingsstack.tenancy.stripe_customer:
    id: "{{ acme_customer.customer.id }}"
    metadata:
      obsolete-key: ""

- name: Set the connection once for all Stripe tasks of a block
  module_defaults:
    group/thingsstack.tenancy.stripe:
      api_key: "{{ vault_stripe_api_key }}"
  block:
    - name: Delete a test customer (Stripe cancels its subscriptions)
      thingsstack.tenancy.stripe_customer:
        email: test@acme.example
        state: absent
"""

RETURN = r"""
customer:
  description:
    - The customer after the task, as Stripe returns it (in check mode, as it would be).
    - Includes C(tax_ids), a list of C(id), C(type) and C(value), when O(tax_ids) is given.
    - After a deletion only C(id) and C(deleted); empty when there was nothing to delete.
  returned: always
  type: dict
  sample:
    id: cus_QXg1o8vcGmoR32
    object: customer
    email: billing@acme.example
    name: Acme Corp
    address: {line1: Hauptstrasse 1, line2: null, city: Berlin, state: null, postal_code: "10115", country: DE}
    metadata: {crm-id: "4711"}
    tax_ids: [{id: txi_1NuMB12eZvKYlo2CMecoWkZd, type: eu_vat, value: DE123456789}]
found:
  description: The ID of the customer that was found when it was not O(expected_id); null when none was found.
  returned: when the O(expected_id) check failed
  type: str
  sample: cus_NffrFeUfNV2Hib
"""

from ansible_collections.thingsstack.tenancy.plugins.module_utils.controller import run_on_controller
from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import metadata_argument_spec, stripe_argument_spec

ADDRESS_SPEC = dict(
    line1=dict(type='str'), line2=dict(type='str'), city=dict(type='str'),
    state=dict(type='str'), postal_code=dict(type='str'), country=dict(type='str'),
)  # yapf: disable

ARGUMENT_SPEC = dict(
    stripe_argument_spec(),
    id=dict(type='str'),
    email=dict(type='str'),
    match_metadata=dict(type='dict'),
    expected_id=dict(type='str'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    name=dict(type='str'),
    description=dict(type='str'),
    phone=dict(type='str'),
    address=dict(type='dict', options=ADDRESS_SPEC),
    shipping=dict(type='dict', options=dict(
        name=dict(type='str', required=True),
        phone=dict(type='str'),
        address=dict(type='dict', required=True, options=ADDRESS_SPEC),
    )),
    preferred_locales=dict(type='list', elements='str'),
    invoice_settings=dict(type='dict', options=dict(
        custom_fields=dict(type='list', elements='dict', options=dict(
            name=dict(type='str', required=True),
            value=dict(type='str', required=True),
        )),
        footer=dict(type='str'),
    )),
    tax_exempt=dict(type='str', choices=['none', 'exempt', 'reverse']),
    tax_ids=dict(type='list', elements='dict', options=dict(
        type=dict(type='str', required=True),
        value=dict(type='str', required=True),
    )),
    purge_tax_ids=dict(type='bool', default=False),
    **metadata_argument_spec()
)  # yapf: disable

ARGUMENT_RULES = dict(required_one_of=[('id', 'email')])


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
