# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup tenant_finding: one host's entry of a registered tenant_snapshot result, taken as it was stored (never
templated), without walking the other entries."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader

FINDING = {'customer': 'cus_1', 'subscription': 'sub_1', 'status': 'active', 'tenant_state': 'STATE_APPROVED'}


class OneEntryOnly(Mapping):
    """A result's ``converged`` whose entries cannot be walked: the lookup must take its one entry by key."""

    def __init__(self, entries):
        self.entries = entries

    def __getitem__(self, key):
        return self.entries[key]

    def __iter__(self):
        raise AssertionError('the lookup walked every entry')

    def __len__(self):
        raise AssertionError('the lookup walked every entry')


@pytest.fixture(name='lookup')
def fixture_lookup():
    plugin = lookup_loader.get('thingsstack.tenancy.tenant_finding')

    def run(variables, *terms, **options):
        return plugin.run(list(terms) or ['snap'], variables=variables, **options)

    return run


def test_the_current_hosts_entry_is_returned_by_key(lookup):
    variables = {'inventory_hostname': 'acme', 'snap': {'converged': OneEntryOnly({'acme': FINDING})}}
    assert lookup(variables) == [FINDING]


def test_a_tenant_not_found_converged_gets_an_empty_finding(lookup):
    assert lookup({'inventory_hostname': 'globex', 'snap': {'converged': {'acme': FINDING}, 'per_tenant': {'globex':
                                                                                                           'new tenant'}}}) == [{}]


def test_an_unknown_option_is_refused(lookup):
    with pytest.raises(AnsibleLookupError, match='takes no options, got host'):
        lookup({'inventory_hostname': 'globex', 'snap': {'converged': {'acme': FINDING}}}, host='acme')


def test_a_stored_value_that_looks_like_a_template_stays_text(lookup):
    hostile = dict(FINDING, customer="{{ lookup('ansible.builtin.env', 'STRIPE_API_KEY') }}")
    assert lookup({'inventory_hostname': 'acme', 'snap': {'converged': {'acme': hostile}}}) == [hostile]


@pytest.mark.parametrize('variables', [{}, {'snap': 'sub_1'}, {'snap': {'changed': False}}, {'snap': {'converged': ['acme']}}])
def test_anything_but_a_registered_tenant_snapshot_result_is_refused(lookup, variables):
    with pytest.raises(AnsibleLookupError, match='snap is not a registered tenant_snapshot result'):
        lookup(dict(variables, inventory_hostname='acme'))


def test_one_term_only(lookup):
    with pytest.raises(AnsibleLookupError, match='one term'):
        lookup({'inventory_hostname': 'acme'}, 'snap', 'other')
