"""make demo against real services: a copy of the example inventory with tenant IDs and emails unique to one run.

    python tests/harness/demo_inventory.py SOURCE_DIR DEST_DIR RUN_ID

The Things Stack never frees a tenant ID, not even after a delete, so the demo must not create acme, initech and globex
in a real TTS. This copies SOURCE_DIR (playbooks/inventory/example: hosts.yml and group_vars/) to DEST_DIR, renames
every host (the tenant ID) to HOST-RUN_ID and turns the customer and admin emails into LOCAL+RUN_ID@DOMAIN (a customer
of its own per run), and prints the tenants. RUN_ID: 1 to 12 lowercase letters and digits.
"""

import os
import re
import shutil
import sys

import yaml

RUN_ID_RE = re.compile(r'^[a-z0-9]{1,12}$')


def rename(group, run_id, tenants):
    """Rename the hosts of an inventory group and its children in place; collect {new host: customer email}."""
    if group.get('hosts'):
        group['hosts'] = {'%s-%s' % (host, run_id): values or {} for host, values in group['hosts'].items()}
        for host, values in group['hosts'].items():
            for key in ('tenant_customer', 'tenant_admin'):
                if isinstance(values.get(key), dict) and '@' in str(values[key].get('email', '')):
                    values[key]['email'] = values[key]['email'].replace('@', '+%s@' % run_id, 1)
            tenants[host] = values.get('tenant_customer', {}).get('email', '')
    for child in (group.get('children') or {}).values():
        rename(child or {}, run_id, tenants)


def main(argv):
    if len(argv) != 3 or not RUN_ID_RE.match(argv[2]):
        sys.exit('usage: demo_inventory.py SOURCE_DIR DEST_DIR RUN_ID (1 to 12 lowercase letters and digits)')
    source, dest, run_id = argv
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest)
    path = os.path.join(dest, 'hosts.yml')
    with open(path, encoding='utf-8') as handle:
        inventory = yaml.safe_load(handle)
    tenants = {}
    rename(inventory['all'], run_id, tenants)
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write('---\n# %s with tenant IDs and emails unique to demo run %s (tests/harness/demo_inventory.py)\n' % (source, run_id))
        yaml.safe_dump(inventory, handle, sort_keys=False)
    for host, email in tenants.items():
        print('  tenant %-24s customer %s' % (host, email))


if __name__ == '__main__':
    main(sys.argv[1:])
