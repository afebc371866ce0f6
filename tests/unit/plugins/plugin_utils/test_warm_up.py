# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Loading an action plugin of the collection, in Ansible's main process, loads what each forked worker would otherwise
load again for every task: the Jinja filters and tests (ansible-core's and this collection's) and the Stripe SDK's
classes of the objects the modules read (the role's first task, tenant_snapshot, leaves the Stripe SDK to the one
worker that reads). The role's first task, an action of the collection, is what makes the main process load a plugin
before the per-tenant tasks fork their workers."""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

COLLECTION = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..')
# COLLECTION is .../ansible_collections/thingsstack/tenancy: the collections root is three levels up.
COLLECTIONS_ROOT = os.path.join(COLLECTION, '..', '..', '..')

PROBE = '''
import json, re, sys
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
_AnsibleCollectionFinder(paths=[sys.argv[1]])._install()
before = set(sys.modules)
import ansible_collections.thingsstack.tenancy.plugins.action.stripe_customer
print(json.dumps(sorted(re.sub(r'_[0-9]+$', '', name) for name in set(sys.modules) - before)))
'''


def loaded_at_plugin_load():
    out = subprocess.run([sys.executable, '-c', PROBE, os.path.abspath(COLLECTIONS_ROOT)],
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)), capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_loading_a_plugin_loads_the_filters_tests_lookups_and_stripe_classes_the_workers_use():
    loaded = loaded_at_plugin_load()
    filters = {os.path.splitext(os.path.basename(path))[0] for path in glob.glob(os.path.join(COLLECTION, 'plugins', 'filter', '*.py'))}
    assert {'tenant_steps', 'tenant_input', 'tenant_from_billing'} <= filters
    assert {f'ansible_collections.thingsstack.tenancy.plugins.filter.{name}' for name in filters} <= loaded
    assert {'ansible.plugins.filter.core', 'ansible.plugins.test.core'} <= loaded
    assert 'ansible_collections.thingsstack.tenancy.plugins.lookup.tenant_finding' in loaded
    assert {'stripe._customer', 'stripe._subscription', 'stripe._subscription_item', 'stripe._search_result_object'} <= loaded


@pytest.mark.parametrize('entry', ['main.yml', 'audit.yml'])
def test_the_roles_first_task_is_an_action_of_the_collection(entry):
    """The strategy loads a task's action plugin in Ansible's main process before it queues the task: the role's first
    task loads the collection there, for every worker after it."""
    with open(os.path.join(COLLECTION, 'roles', 'tenant', 'tasks', entry), encoding='utf-8') as handle:
        first = yaml.safe_load(handle)[0]
    modules = [key for key in first if key.startswith('thingsstack.tenancy.')]
    assert modules and re.fullmatch(r'thingsstack\.tenancy\.\w+', modules[0])
    assert 'when' not in first
