"""What the fleet says is untrusted input (issue 21): a hand-made hostile fleet on the services, read by the inventory
plugin thingsstack.tenancy.tenants, exported by thingsstack.tenancy.export and audited by thingsstack.tenancy.audit.

Live subscriptions carry tenant-id values that cannot name a host (`all`, `tenants`, `localhost`, an uppercase ID, one
with `|` and a newline, a Jinja template, Markdown); a tenant made by hand without billing.stripe is claimed by another
customer's subscription. The inventory keeps every valid tenant and lists the others, escaped, in invalid_tenant_ids;
the export writes a file that Ansible reads back with every valid host and proposes the adoption without binding it;
the audit's Markdown tables keep their shape; no template is evaluated; nothing is written to Stripe or TTS. The
plugin's error path with a service that echoes the request: no key at any verbosity, and the source fails.

On real services the hostile subscriptions of earlier runs are still there: assertions look at this run's IDs only.
"""

import json
import os
import re
import subprocess
import sys

import pytest
import requests

from conftest import OUT, REPO, recap
from test_inventory_plugin import (LARGE, SMALL, create_in_tts, price, source, stripe, subscribe_in_the_dashboard, trusted, tts,
                                   wait_for_tenant)

JINJA = "{{ lookup('pipe', 'id') }}"
MARKDOWN = '# Pwned [click](https://evil.example) <b>bold</b> | `code`'
EVALUATED = re.compile(r'uid=\d+')  # what lookup('pipe', 'id') would print


@pytest.fixture(scope='module')
def hostile(services):
    """{'valid': {role: tenant ID}, 'invalid': {subscription ID: tenant-id as written}, 'hand_customer': customer}."""
    run = services.run_id
    valid = {name: services.tenant_id(f'hos{name}') for name in ('tbs', 'hand', 'orphan')}
    # A tenant the Tenant Billing Server made, whose name is a template (data, never evaluated).
    subscribe_in_the_dashboard(services, valid['tbs'], SMALL, **{'tenant-name': JINJA})
    wait_for_tenant(services, valid['tbs'])
    # Made by hand without billing.stripe, then claimed by another customer's subscription.
    create_in_tts(services, valid['hand'], 'Made by hand', description='Kept as it is')
    hand_customer = subscribe_in_the_dashboard(services, valid['hand'], LARGE)[0]
    subscribe_in_the_dashboard(services, valid['orphan'], LARGE, **{'tenant-description': MARKDOWN})
    values = ['all', 'tenants', 'localhost', f'UPPER-{run}', f'x|y\n{run}', f'{JINJA}-{run}', f'{MARKDOWN} {run}']
    invalid = {}
    for number, value in enumerate(values):
        # The customer's name is hostile too (it goes into the export's comments and messages).
        customer = stripe(services, 'POST', '/v1/customers', email=services.email(f'hostile{number}-{run}'), name=f'{value} Ltd')
        sub = stripe(services, 'POST', '/v1/subscriptions', customer=customer['id'], collection_method='send_invoice', days_until_due='30',
                     **{'items[0][price]': price(services, LARGE)['id'], 'metadata[tenant-id]': value})
        invalid[sub['id']] = value
    return {'valid': valid, 'invalid': invalid, 'hand_customer': hand_customer}


def escaped(value):
    return value.replace('\\', '\\\\').replace('\n', '\\n')


def ansible_inventory(services, *args, env=None):
    run_env = dict(services.env, **(env or {}))
    return subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), *args], env=run_env, cwd=REPO,
                          capture_output=True, text=True, check=False, timeout=300)


def table_shapes(markdown):
    """For each Markdown table: (cells of the header row, cells of each row), counting unescaped | only."""
    tables, current = [], None
    for line in markdown.splitlines():
        if line.startswith('|'):
            cells = len(re.findall(r'(?<!\\)\|', line)) - 1
            if current is None:
                current = (cells, [])
                tables.append(current)
            current[1].append(cells)
        else:
            current = None
    return tables


def test_the_hostile_fleet_is_listed_exported_and_audited_without_harm(services, hostile):
    valid, invalid = hostile['valid'], hostile['invalid']
    path = source('hostile')

    # The inventory, as an AWX sync imports it: every valid tenant a host; the invalid ones listed, escaped.
    services.clear_counters()
    listed = ansible_inventory(services, '-i', path, '--list', '--export')
    assert listed.returncode == 0, listed.stderr
    listing = json.loads(listed.stdout, object_hook=trusted)
    hosts = set(listing['_meta']['hostvars'])
    assert set(valid.values()) <= hosts
    assert not hosts & set(invalid.values()) and not any(host != host.lower() or '\n' in host for host in hosts)
    assert valid['hand'] in listing['adoption_proposed']['hosts']
    assert 'tenant_adopt' not in listing['_meta']['hostvars'][valid['hand']]
    entries = {sub: entry for entry in listing['all']['vars']['invalid_tenant_ids'] for sub in entry['subscriptions']}
    assert {sub: entries[sub]['tenant_id'] for sub in invalid} == {sub: escaped(value) for sub, value in invalid.items()}
    assert 'invalid_tenant_ids' in listed.stderr and 'Found both group and host' not in listed.stderr
    assert services.writes() in (0, None), services.counters()

    # The export: a file that Ansible reads back with every valid host; the adoption proposed, not decided.
    exported = os.path.join(OUT, 'tmp', f'hostile-export-{services.run_id}')
    services.clear_counters()
    export = services.playbook('export', path, limit=f'hos*-{services.run_id}-*',
                               extra_vars={'export_inventory_dir': exported, 'export_overwrite': True})
    assert export.rc == 0, export.output
    assert services.writes() in (0, None), services.counters()
    assert f"{valid['hand']}: claimed by subscription" in export.output and 'set tenant_adopt: true' in export.output
    for value in invalid.values():  # in the message (JSON in the output), escaped and quoted
        assert json.dumps(f'"{escaped(value)}"')[1:-1] in export.output
    hosts_yml = os.path.join(exported, 'hosts.yml')
    assert os.stat(hosts_yml).st_mode & 0o777 == 0o600
    reread = ansible_inventory(services, '-i', exported, '--list')
    assert reread.returncode == 0, reread.stderr
    reread_hosts = json.loads(reread.stdout, object_hook=trusted)['_meta']['hostvars']
    assert set(reread_hosts) == set(valid.values())
    assert reread_hosts[valid['hand']]['tenant_adopt'] is False
    assert reread_hosts[valid['tbs']]['tenant_name'] == JINJA  # written as data (!unsafe)
    with open(hosts_yml, encoding='utf-8') as handle:
        text = handle.read()
    header = text.split('---\n', 1)[0]
    assert all(line.startswith('#') for line in header.splitlines()), header
    assert f"#   {valid['hand']}: claimed by subscription" in header and 'x|y\\n' in header

    # Provisioning the export right away does not bind the hand-made tenant: the role refuses it, nothing is written.
    services.clear_counters()
    provision = services.playbook('provision', exported, limit=f"{valid['tbs']},{valid['hand']}")
    assert provision.rc != 0 and recap(provision.output)[valid['hand']]['failed'] == 1, provision.output
    assert recap(provision.output)[valid['tbs']] == dict(recap(provision.output)[valid['tbs']], failed=0, changed=0)
    assert 'exists without billing.stripe' in provision.output
    assert services.writes() in (0, None), services.counters()
    hand = tts(services, 'GET', f"/tenants/{valid['hand']}", field_mask='name,description,billing').json()
    assert not hand.get('billing') and hand['name'] == 'Made by hand' and hand['description'] == 'Kept as it is'

    # The audit of the export: the hostile IDs reported escaped, the Markdown tables intact.
    report_dir = os.path.join(OUT, 'tmp', f'hostile-audit-{services.run_id}')
    services.clear_counters()
    audit = services.playbook('audit', exported, limit=valid['tbs'], extra_vars={'audit_report_dir': report_dir})
    assert audit.rc == 0, audit.output
    assert services.writes() in (0, None), services.counters()
    with open(os.path.join(report_dir, 'tenants.json'), encoding='utf-8') as handle:
        report = json.load(handle)
    with open(os.path.join(report_dir, 'tenants.md'), encoding='utf-8') as handle:
        markdown = handle.read()
    for name in ('tenants.json', 'tenants.md'):
        assert os.stat(os.path.join(report_dir, name)).st_mode & 0o777 == 0o600
    audited = {sub: entry['tenant_id'] for entry in report['fleet']['invalid_tenant_ids'] for sub in entry['subscriptions']}
    assert {sub: audited[sub] for sub in invalid} == {sub: escaped(value) for sub, value in invalid.items()}
    assert report['summary']['invalid_tenant_ids'] == len(report['fleet']['invalid_tenant_ids']) >= len(invalid)
    shapes = table_shapes(markdown)
    assert len(shapes) >= 2 and all(rows == [header] * len(rows) for header, rows in shapes), shapes
    assert [line for line in markdown.splitlines() if line.startswith('#')] == ['# Tenant audit', '## Live fleet']
    assert '<b>' not in markdown and '[click](' not in markdown and '\\[click\\](https://evil.example)' in markdown
    assert f'x\\|y\\\\n{services.run_id}' in markdown

    # No template was evaluated, anywhere.
    for output in (listed.stdout, listed.stderr, export.output, text, provision.output, audit.output, markdown, json.dumps(report)):
        assert not EVALUATED.search(output)


def fault(services, name, path, status=502):
    response = requests.post(services.bases[name].rstrip('/') + '/_emulator/faults', timeout=10,
                             json={'faults': [{'type': 'status', 'status': status, 'count': 50, 'path': path, 'echo_request': True}]})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize('service, path', [('stripe', '/v1/subscriptions'), ('tts', '/api/v3/tenants')])
def test_an_echoing_service_puts_no_key_into_the_output_and_the_source_fails(services, service, path):
    if services.live:
        pytest.skip('needs the emulators: an injected fault that echoes the request')
    source_path = source(f'echo-{service}', max_retries=0)
    keys = (services.env['STRIPE_API_KEY'], services.env['TTS_TENANT_ADMIN_KEY'])
    try:
        for verbosity in ('-v', '-vvvv'):
            fault(services, service, path)
            failed = ansible_inventory(services, '-i', source_path, '--list', verbosity, env={'ANSIBLE_INVENTORY_UNPARSED_FAILED': 'true'})
            output = failed.stdout + failed.stderr
            assert failed.returncode != 0 and 'thingsstack.tenancy.tenants' in output, output
            assert 'Authorization' in output or 'TenantAdminKey' in output or 'Bearer' in output, output  # it did echo
            assert [output.count(key) for key in keys] == [0, 0], output
    finally:
        requests.delete(services.bases[service].rstrip('/') + '/_emulator/faults', timeout=10)
