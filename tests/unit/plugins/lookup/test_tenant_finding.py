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


@pytest.mark.parametrize('terms', [('snap', 'other'), ('snap', 'conflicts', 'converged'), ('snap', 1)])
def test_a_name_then_converged_or_conflicts_only(lookup, terms):
    with pytest.raises(AnsibleLookupError, match='optionally which finding: converged'):
        lookup({'inventory_hostname': 'acme'}, *terms)


def test_the_host_s_conflicts(lookup):
    message = "tenant_id: hosts acme and acme-2 both declare tenant 'acme'; declare each tenant on one host only"
    result = {'converged': {}, 'conflicts': {'acme': [message]}}
    assert lookup({'inventory_hostname': 'acme', 'snap': result}, 'snap', 'conflicts') == [[message]]
    assert lookup({'inventory_hostname': 'globex', 'snap': result}, 'snap', 'conflicts') == [[]]


class StoredVariables:
    """Stands in for ansible-core's hostvars: raw_get gives one host's stored variables; walking every host is an error."""

    def __init__(self, hosts):
        self.hosts = hosts
        self.read = []

    def raw_get(self, host):
        self.read.append(host)
        return self.hosts.get(host, 'undefined')

    def __iter__(self):
        raise AssertionError('the lookup walked every host')


READ = {'converged': {'acme': FINDING}, 'conflicts': {'initech': ['conflicts with initech-2']}, 'read_by': None, 'task_uuid': 'u1'}


def pointer(reader='acme', task_uuid='u1'):
    return {'converged': {}, 'conflicts': {}, 'read_by': reader, 'task_uuid': task_uuid}


def test_a_host_s_finding_is_taken_from_the_result_of_the_host_that_read(lookup):
    hostvars = StoredVariables({'acme': {'snap': READ}})
    assert lookup({'inventory_hostname': 'acme', 'snap': READ, 'hostvars': hostvars}) == [FINDING]
    assert hostvars.read == []
    hostvars = StoredVariables({'acme': {'snap': dict(READ, converged={'acme': FINDING, 'globex': FINDING})}})
    assert lookup({'inventory_hostname': 'globex', 'snap': pointer(), 'hostvars': hostvars}) == [FINDING]
    assert hostvars.read == ['acme']
    hostvars = StoredVariables({'acme': {'snap': READ}})
    assert lookup({'inventory_hostname': 'initech', 'snap': pointer(), 'hostvars': hostvars}, 'snap',
                  'conflicts') == [['conflicts with initech-2']]


@pytest.mark.parametrize(
    'stored',
    [
        {'acme': {'snap': dict(READ, task_uuid='u0')}},  # an earlier task's result: stale
        {'acme': {'snap': {'failed': True, 'msg': 'boom'}}},  # the reader's task failed
        {'acme': {}},  # not registered (yet)
        {},  # no such host
        {'acme': {'snap': pointer('globex')}},  # a pointer again
    ])
def test_without_the_same_task_s_read_a_host_has_no_finding_and_its_conflicts_are_unknown(lookup, stored):
    hostvars = StoredVariables(stored)
    variables = {'inventory_hostname': 'globex', 'snap': pointer(), 'hostvars': hostvars}
    assert lookup(variables) == [{}]
    with pytest.raises(AnsibleLookupError, match='names acme as the host that checked the play, and acme holds no result of that task'):
        lookup(variables, 'snap', 'conflicts')
