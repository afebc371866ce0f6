"""The module docs as `ansible-doc --json` shows them agree with the code (issue 12, point 3).

Needs no emulator: ansible-doc reads the collection from a symlink tree of this checkout in a temporary directory.
"""

import json
import os
import subprocess
import sys

import yaml

from conftest import REPO

COLLECTION = 'thingsstack.tenancy'
MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(REPO, 'plugins', 'modules'))
                 if name.endswith('.py') and name != '__init__.py')


def action_groups():
    """{module: {FQCN of each group it belongs to}} as meta/runtime.yml defines the groups (extend_group followed)."""
    with open(os.path.join(REPO, 'meta', 'runtime.yml'), encoding='utf-8') as handle:
        groups = yaml.safe_load(handle)['action_groups']

    def members(group):
        for entry in groups[group]:
            if isinstance(entry, dict):
                for extended in entry.get('metadata', {}).get('extend_group', []):
                    yield from members(extended.split('.')[-1])
            else:
                yield entry.split('.')[-1]

    result = {}
    for group in groups:
        for module in members(group):
            result.setdefault(module, set()).add(f'{COLLECTION}.{group}')
    return result


def ansible_doc(tmp_path, *names):
    tree = tmp_path / 'ansible_collections' / 'thingsstack'
    tree.mkdir(parents=True)
    (tree / 'tenancy').symlink_to(REPO)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tmp_path), ANSIBLE_HOME=str(tmp_path / 'ansible-home'))
    ansible_doc_bin = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')
    out = subprocess.run([ansible_doc_bin, '--json', '-t', 'module'] + [f'{COLLECTION}.{name}' for name in names], env=env,
                         cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False, timeout=120)
    assert out.returncode == 0, out.stderr.decode()
    return json.loads(out.stdout)


def test_every_module_shows_the_action_groups_of_meta_runtime(tmp_path):
    expected = action_groups()
    docs = ansible_doc(tmp_path, *MODULES)
    assert sorted(docs) == [f'{COLLECTION}.{name}' for name in MODULES]
    for name in MODULES:
        assert expected.get(name), f'{name} is in no action group of meta/runtime.yml'
        action_group = docs[f'{COLLECTION}.{name}']['doc']['attributes']['action_group']
        assert sorted(action_group['membership']) == sorted(expected[name]), name
        assert f'group/{COLLECTION}.' in action_group['description'], name
