"""ansible-runner test: provision.yml with credentials injected only as environment variables, and no secret on disk.

    python tests/runner/run_runner_test.py --work-dir build/runner
        (environment: STRIPE_API_BASE, TTS_URL, TTS_TENANT_ADMIN_KEY and optionally STRIPE_API_KEY, as written by
         tests/harness/emulators.py; the catalog and the Tenant Billing Server set up by tests/harness/role_tests.sh)

It runs the AWX-style project playbook tests/runner/project/provision.yml (import_playbook
thingsstack.tenancy.provision) over tests/runner/inventory through the ansible-runner Python API with
process_isolation false, the way AWX runs a job template: the secrets (STRIPE_API_KEY, TTS_TENANT_ADMIN_KEY and a
tenant admin password in RUNNER_DIRECT_ADMIN_PASSWORD) are passed only in the `envvars` argument, as a custom
credential type's env injector does, and are removed from this process's own environment first (ansible-runner
copies it into the job's environment).

After each run every file under the private data directory (env/ and artifacts/) is searched for the secret values.
Three runs show where ansible-runner 2.4 writes the environment and what keeps it off the disk:
  leaky        defaults: the secrets are in env/envvars (ansible-runner dumps the envvars argument there) and in
               artifacts/<ident>/command (the command, cwd and the full environment of ansible-playbook). The test
               requires both, so it proves it can detect a leak.
  suppress     suppress_env_files=True (CLI --omit-env-files): env/envvars is no longer written, but
               artifacts/<ident>/command still holds the environment; no ansible-runner 2.4 setting turns that off.
               The test requires exactly that file.
  recommended  suppress_env_files=True plus an artifacts_handler that redacts the credential variables in
               artifacts/<ident>/command when the run ends (before ansible_runner.run returns): no secret anywhere.
               stdout and job_events hold none in any case (the modules are no_log and return no secrets).
  secrets      the recommended settings with ANSIBLE_LOG_PATH (in the private data directory), -vvvv, --check --diff:
               tests/runner/project/secrets.yml makes the emulators answer a customer update, a subscription create
               with the admin password and a tenant create with the admin password with a 5xx whose message repeats
               the request (Authorization header and body), then runs the provision and audit playbooks in check
               mode, the audit reports written into the private data directory. No file may hold a secret (the
               Stripe key, the TTS key, the admin password, the Tenant Billing Server's webhook signing secret, and
               the signing secret of a webhook endpoint the playbook creates, which only its secret file may hold),
               the masked echoes must be in the log, and the log must hold no record of the stripe SDK's own logger
               (it logs request URLs with customer emails, and raw server errors).
The runs also check that provisioning worked and that the recommended run, over converged tenants, changed nothing.
Exit status 0 when every expectation holds.
"""

import argparse
import json
import os
import secrets
import shutil
import sys
import urllib.request

import ansible_runner

HERE = os.path.dirname(os.path.abspath(__file__))
# The variables the AWX custom credential types of docs/awx/ inject, plus the test's admin password.
CREDENTIAL_VARIABLES = ('STRIPE_API_KEY', 'STRIPE_API_BASE', 'TTS_URL', 'TTS_TENANT_ADMIN_KEY', 'RUNNER_DIRECT_ADMIN_PASSWORD')
SECRET_VARIABLES = ('STRIPE_API_KEY', 'TTS_TENANT_ADMIN_KEY', 'RUNNER_DIRECT_ADMIN_PASSWORD')
REDACTED = '**redacted**'


def redact_command(artifact_dir):
    """artifacts_handler: ansible-runner writes the job's full environment to artifacts/<ident>/command; mask the secrets."""
    path = os.path.join(artifact_dir, 'command')
    with open(path, encoding='utf-8') as handle:
        command = json.load(handle)
    env = command.get('env') or {}
    for name in list(env):
        if name in SECRET_VARIABLES or any(word in name.upper() for word in ('KEY', 'PASSWORD', 'SECRET', 'TOKEN')):
            env[name] = REDACTED
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as handle:
        json.dump(command, handle, ensure_ascii=False)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


RECOMMENDED = {'suppress_env_files': True, 'artifacts_handler': redact_command}
LOG_FILE = 'ansible.log'
ENDPOINT_SECRET_FILE = 'webhook-endpoint-secret'  # the secrets case's webhook endpoint secret: the one file allowed to hold it
MASKED_ECHOES = ('Authorization: Bearer ********', 'Authorization: TenantAdminKey ********')  # as remove_values masks
CASES = [
    # name, ansible_runner.run arguments, files that must hold a secret (relative to the private data directory)
    ('leaky', {}, {'env/envvars', 'artifacts/leaky/command'}),
    ('suppress', {'suppress_env_files': True}, {'artifacts/suppress/command'}),
    ('recommended', RECOMMENDED, set()),
    ('secrets', dict(RECOMMENDED, playbook='secrets.yml', verbosity=4, cmdline='--check --diff'), {ENDPOINT_SECRET_FILE}),
]


def find_secrets(root, values):
    """{relative path: [names of the secrets in it]} for every file under root."""
    found = {}
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            try:
                with open(path, 'rb') as handle:
                    data = handle.read()
            except OSError:
                continue
            hits = [secret for secret, value in values.items() if value.encode() in data]
            if hits:
                found[os.path.relpath(path, root)] = sorted(hits)
    return found


def read_endpoint_secret(path):
    """The signing secret the secrets playbook's webhook endpoint wrote to ``path``, or None."""
    try:
        with open(path, encoding='utf-8') as handle:
            secret = handle.read().strip()
    except OSError:
        return None
    return secret if secret.startswith('whsec_') else None


def emulator_users(tts_url, tenant_id):
    """The users of a tenant, from the TTS emulator's control API (no passwords in it)."""
    with urllib.request.urlopen('%s/_emulator/tenants/%s/users' % (tts_url.rstrip('/'), tenant_id), timeout=10) as resp:  # nosec
        return json.loads(resp.read())['users']


def emulator_webhook_secret(tts_url):
    """The webhook signing secret the TTS emulator's Tenant Billing Server was configured with (tbs_setup.py), or None."""
    with urllib.request.urlopen('%s/_emulator/tbs' % tts_url.rstrip('/'), timeout=10) as resp:  # nosec
        return json.loads(resp.read()).get('endpoint_secret') or None


def check_log(path, emulator):
    """What the ANSIBLE_LOG_PATH file of the secrets case must show; a list of failures."""
    if not os.path.exists(path):
        return ['no log file was written at %s' % path]
    with open(path, encoding='utf-8', errors='replace') as handle:
        lines = handle.readlines()
    failures = []
    sdk_lines = [line for line in lines if ' n=stripe ' in line]
    if sdk_lines:
        failures.append('%d records of the stripe SDK logger in the log, e.g. %s' % (len(sdk_lines), sdk_lines[0][:200]))
    for echo in MASKED_ECHOES if emulator else ():
        if not any(echo in line for line in lines):
            failures.append('%r is not in the log: did the faults fire?' % echo)
    return failures


def stats(runner):
    recap = runner.stats or {}
    return {key: sorted(recap.get(key) or {}) for key in ('changed', 'failures', 'dark', 'ok')}, recap


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--work-dir', required=True, help='where the private data directories are made (emptied first)')
    parser.add_argument('--only', choices=[case[0] for case in CASES], action='append', help='run only these cases')
    args = parser.parse_args(argv)

    missing = [name for name in ('STRIPE_API_BASE', 'TTS_URL', 'TTS_TENANT_ADMIN_KEY') if not os.environ.get(name)]
    if missing:
        print('runner test: %s not set (start the emulators: tests/harness/role_tests.sh runner)' % ', '.join(missing))
        return 2
    stripe_key = os.environ.get('STRIPE_API_KEY') or ''
    if not stripe_key or stripe_key == 'sk_test_emulator':
        stripe_key = 'sk_test_runner' + secrets.token_hex(12)  # any sk_test_ key works with the emulator; make it unguessable
    credentials = {
        'STRIPE_API_KEY': stripe_key,
        'STRIPE_API_BASE': os.environ['STRIPE_API_BASE'],
        'TTS_URL': os.environ['TTS_URL'],
        'TTS_TENANT_ADMIN_KEY': os.environ['TTS_TENANT_ADMIN_KEY'],
        'RUNNER_DIRECT_ADMIN_PASSWORD': 'Runner-' + secrets.token_urlsafe(18),
    }
    values = {name: credentials[name] for name in SECRET_VARIABLES}
    emulator = os.environ.get('RUNNER_TEST_EMULATOR', '1') == '1'
    webhook_secret = emulator_webhook_secret(credentials['TTS_URL']) if emulator else None
    if webhook_secret:
        values['TBS webhook secret'] = webhook_secret
    print('runner test: every file of each private data directory is searched for %d secrets: %s' %
          (len(values), ', '.join(sorted(values))))
    # ansible-runner copies this process's environment into the job: the secrets must arrive through envvars only.
    for name in CREDENTIAL_VARIABLES:
        os.environ.pop(name, None)

    work = os.path.abspath(args.work_dir)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    failures = []
    cases = [case for case in CASES if not args.only or case[0] in args.only]
    for index, (name, options, expected) in enumerate(cases):
        pdd = os.path.join(work, name)
        shutil.copytree(os.path.join(HERE, 'project'), os.path.join(pdd, 'project'))
        envvars = dict(credentials, ANSIBLE_LOG_PATH=os.path.join(pdd, LOG_FILE), RUNNER_TEST_EMULATOR='1' if emulator else '0')
        run_options = dict({'playbook': 'provision.yml'}, **options)
        runner = ansible_runner.run(
            private_data_dir=pdd, ident=name, inventory=os.path.join(HERE, 'inventory'), envvars=envvars, extravars={
                'audit_report_dir': os.path.join(pdd, 'audit-report'), 'runner_secret_file': os.path.join(pdd, ENDPOINT_SECRET_FILE)
            }, process_isolation=False, quiet=True, **run_options)
        names, recap = stats(runner)
        if name == 'secrets':
            endpoint_secret = read_endpoint_secret(os.path.join(pdd, ENDPOINT_SECRET_FILE))
            if endpoint_secret:
                values = dict(values, **{'webhook endpoint secret': endpoint_secret})
            else:
                failures.append('%s: the webhook endpoint secret was not written to %s' % (name, ENDPOINT_SECRET_FILE))
        leaks = find_secrets(pdd, values)
        events = os.listdir(os.path.join(pdd, 'artifacts', name, 'job_events'))
        print('runner test %-11s status=%s rc=%s changed=%s failures=%s events=%d secrets on disk: %s' %
              (name, runner.status, runner.rc, names['changed'], names['failures'], len(events),
               ', '.join('%s (%s)' % (path, ', '.join(hits)) for path, hits in sorted(leaks.items())) or 'none'))
        if runner.status != 'successful' or runner.rc != 0:
            failures.append('%s: the run failed (status %s, rc %s); see %s' %
                            (name, runner.status, runner.rc, os.path.join(pdd, 'artifacts', name, 'stdout')))
        provisioning = index == 0 and name != 'secrets'
        if provisioning and not names['changed']:
            failures.append('%s: the first run changed nothing' % name)
        if provisioning and emulator:
            users = emulator_users(credentials['TTS_URL'], 'runner-direct')
            if [user.get('password_generated') for user in users] != [False]:
                failures.append('%s: the admin password from RUNNER_DIRECT_ADMIN_PASSWORD did not reach the tenant: %s' % (name, users))
        if name == 'recommended' and index > 0 and recap.get('changed'):
            failures.append('%s: a run over converged tenants changed %s' % (name, names['changed']))
        if name == 'secrets':
            failures += ['%s: %s' % (name, failure) for failure in check_log(os.path.join(pdd, LOG_FILE), emulator)]
            if not os.path.exists(os.path.join(pdd, 'audit-report', 'tenants.json')):
                failures.append('%s: the audit wrote no report' % name)
        if not events:
            failures.append('%s: no job events were written' % name)
        if leaks.get(ENDPOINT_SECRET_FILE, ['webhook endpoint secret']) != ['webhook endpoint secret']:
            failures.append('%s: %s holds other secrets: %s' % (name, ENDPOINT_SECRET_FILE, leaks[ENDPOINT_SECRET_FILE]))
        if set(leaks) != expected:
            failures.append('%s: secrets expected in %s, found in %s' % (name, sorted(expected) or 'no file', sorted(leaks) or 'no file'))
        for path in leaks:
            if path.startswith(os.path.join('artifacts', name, 'job_events')) or path.endswith(('stdout', 'stderr')):
                failures.append('%s: a secret is in the play output %s' % (name, path))
    for failure in failures:
        print('runner test FAILED: ' + failure)
    if not failures:
        print('runner test: OK - secrets passed as environment variables only; with suppress_env_files and the '
              'command redaction no file under the private data directory holds one')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
