# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input that can be checked before the first request is refused there, naming the option the task wrote (issue 9, point 4)."""

from __future__ import annotations

import os
import subprocess
import sys
import typing

import pytest

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_customers import literal_values, tax_id_types

PRICE = dict(lookup_key='small', currency='eur', unit_amount=900, recurring={'interval': 'month'})


@pytest.mark.parametrize('plugin, args, message', [
    ('stripe_customer', {'email': 'b@acme.example', 'tax_ids': [{'type': 'eu_vat', 'value': 'DE1'}, {'type': 'xx_vat', 'value': '1'}]
                         }, r"^tax_ids\[1\]\.type: 'xx_vat' is not a Stripe tax ID type"),
    ('stripe_customer', {'id': '12345'}, r"^id: must be a customer ID \(cus_\.\.\.\), got '12345'"),
    ('stripe_customer', {'email': 'b@acme.example', 'expected_id': 'acme'}, r"^expected_id: must be a customer ID"),
    ('stripe_product', {'id': 'bad id', 'name': 'Bad'}, r"^id: 'bad id' must be 1 to 250 letters, digits, '_' and '-'"),
    ('stripe_price', dict(PRICE, product='bad id'), r"^product: 'bad id' must be 1 to 250 letters"),
])
def test_refused_before_any_request(run_action, stripe, failed, plugin, args, message):
    failed(run_action(plugin, **args), message)
    assert stripe.calls == []


def test_tax_id_types_come_from_the_installed_sdk():
    assert {'eu_vat', 'us_ein', 'gb_vat', 'ch_vat'} <= tax_id_types() and 'xx_vat' not in tax_id_types()
    from stripe.params import CustomerTaxIdCreateParams  # pylint: disable=import-outside-toplevel
    assert tax_id_types() == literal_values(typing.get_type_hints(CustomerTaxIdCreateParams)['type'])  # as its types say


def test_tax_id_types_are_read_without_importing_the_sdk():
    """The role's input filters run in forked workers: importing the SDK there costs 0.2 s per task."""
    code = ('import sys\n'
            'from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_customers import literal_values, tax_id_types\n'
            'print(len(tax_id_types()) > 50, "stripe" in sys.modules)\n')
    out = subprocess.run([sys.executable, '-c', code], env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)), capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ['True', 'False']


def test_a_price_of_a_missing_product_is_refused_before_any_write(run_action, stripe, failed):
    failed(run_action('stripe_price', product='ghost', **PRICE), r"^product: no Stripe product has the ID 'ghost'; create it first")
    assert stripe.writes == []


def test_check_mode_assumes_the_product_of_the_same_catalog_run_will_exist(run_action, stripe):
    result = run_action('stripe_price', check_mode=True, product='ghost', **PRICE)
    assert result['changed'] and result['warnings'] == ["product 'ghost' does not exist yet; check mode assumes it will"]
    assert stripe.writes == []


@pytest.mark.parametrize('plugin', ['stripe_customer', 'tts_tenant'])
@pytest.mark.parametrize('option, value, message', [
    ('timeout', 0, r'^timeout: must be a positive number of seconds, got 0'),
    ('timeout', -1, r'^timeout: must be a positive number of seconds, got -1'),
    ('max_retries', -3, r'^max_retries: must be 0 or more, got -3'),
])
def test_connection_numbers_are_refused_before_any_request(run_action, stripe, tts, failed, plugin, option, value, message):
    args = {'email': 'b@acme.example'} if plugin == 'stripe_customer' else {'tenant_id': 'acme'}
    failed(run_action(plugin, **args, **{option: value}), message)
    assert stripe.calls == [] and tts.calls == [] and stripe.clients_made == tts.clients_made == 0
