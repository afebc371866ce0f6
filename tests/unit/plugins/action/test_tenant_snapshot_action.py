# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action tenant_snapshot: option play (the play's first host checks and reads for all, the others' results name
it), and the play's check, which templates every tenant's variables with one templar that compiles each template string
once and renders it with each host's own variables."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.thingsstack.tenancy.plugins.action.tenant_snapshot import compiling_once

CONNECTION = {'api_key': 'sk_test_unit', 'url': 'https://tts.example', 'tenant_admin_key': 'key'}


@pytest.fixture(name='run_on')
def fixture_run_on(make_action):

    def run(host, run_once=False, **args):
        action = make_action('tenant_snapshot', dict(CONNECTION, **args))
        action._task.run_once = run_once  # pylint: disable=protected-access

        def play_tenants(hosts):
            raise RuntimeError(f'{host} checked the play of {", ".join(hosts)}')

        action.play_tenants = play_tenants
        return action.run(task_vars={
            'inventory_hostname': host, 'ansible_play_batch': ['acme', 'globex', 'initech'], 'ansible_play_hosts': ['other-batch', 'acme']
        })

    return run


@pytest.mark.parametrize('host', ['globex', 'initech'])
def test_with_play_every_host_but_the_first_names_it_and_neither_checks_nor_reads(run_on, host, stripe, tts):
    result = run_on(host, play=True)
    assert not result.get('failed'), result
    assert result['read_by'] == 'acme' and result['read'] is False and result['task_uuid'] == 'task-uuid-tenant_snapshot'
    assert result['converged'] == {} and result['conflicts'] == {} and result['requests'] == {'stripe': 0, 'tts': 0}
    assert stripe.calls == [] and tts.calls == []


@pytest.mark.parametrize('host, run_once', [('acme', False), ('globex', True)])
def test_with_play_the_first_host_or_the_run_once_host_checks_the_play(run_on, host, run_once, stripe, tts):
    result = run_on(host, run_once, play=True)
    assert result.get('failed') and f'{host} checked the play of acme, globex, initech' in result['msg'], result
    assert stripe.calls == [] and tts.calls == []


def test_play_is_true_and_alone(run_on, failed, stripe, tts):
    failed(run_on('acme', play=False), r'^play: must be true when given')
    with pytest.raises(AnsibleActionFail, match=r'mutually exclusive: tenants\|hosts\|play'):
        run_on('acme', play=True, hosts=['acme'])
    assert stripe.calls == [] and tts.calls == []


def test_each_template_is_compiled_once_and_rendered_with_each_host_s_variables():
    templar = Templar(loader=DataLoader())
    compiled = []
    engine = templar._engine  # pylint: disable=protected-access
    compile_template = engine._compile_template  # pylint: disable=protected-access

    def counting(template, options):
        compiled.append(str(template))
        return compile_template(template, options)

    engine._compile_template = counting  # pylint: disable=protected-access
    templar = compiling_once(templar)
    rendered = []
    for host in ('acme', 'globex', 'initech'):
        templar.available_variables = {
            'inventory_hostname': host, 'tenant_id': trust_as_template('{{ inventory_hostname }}'), 'tenant_name':
            trust_as_template('Tenant {{ tenant_id | upper }}')
        }
        rendered.append(
            (templar.template(templar.available_variables['tenant_id']), templar.template(templar.available_variables['tenant_name'])))
    assert rendered == [('acme', 'Tenant ACME'), ('globex', 'Tenant GLOBEX'), ('initech', 'Tenant INITECH')]
    assert sorted(compiled) == ['Tenant {{ tenant_id | upper }}', '{{ inventory_hostname }}']


def test_a_templar_without_the_compile_step_is_used_as_it_is():
    """ansible-core's compile step is private: when it is not there, the check templates as before."""

    class Bare:
        _engine = object()

    bare = Bare()
    assert compiling_once(bare) is bare
