"""The collection tarball as Galaxy and Automation Hub receive it (the harness step `galaxy-importer`, `make galaxy`).

    build/venv-importer/bin/python tests/harness/galaxy_check.py [--out build/galaxy]

1. `ansible-galaxy collection build` of this checkout, as a maintainer publishes it;
2. its members (listed in OUT/members.txt): every file is a source file of the checkout (tracked, or new and not
   git-ignored), so no build leftover (build/, tests/output/, caches, integration_config.yml, ...) is shipped, and the
   files Galaxy shows (README.md, LICENSE, CHANGELOG.rst, ...) are there;
3. galaxy-importer on the tarball, as Galaxy runs it on upload, offline: the metadata, ansible-doc of every plugin,
   ansible-lint (production profile) and the changelog. Not its ansible-test in a container (the sanity steps run
   ansible-test) nor its flake8 (which takes the filters' .yml docs for Python; sanity runs pep8 and pylint).
   Every warning or error of the import fails the check, except the one in KNOWN.
Run with the Python of the importer venv: ansible-galaxy, ansible-doc and ansible-lint are taken from its bin.
"""

import argparse
import os
import re
import subprocess
import sys
import tarfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REQUIRED = ('README.md', 'LICENSE', 'CHANGELOG.rst', 'changelogs/changelog.yaml', 'meta/runtime.yml', 'MANIFEST.json',
            'FILES.json')
BUILT = ('MANIFEST.json', 'FILES.json')  # written by ansible-galaxy
CONFIG = '''\
[galaxy-importer]
run_ansible_test = False
run_flake8 = False
run_ansible_doc = True
run_ansible_lint = True
offline_ansible_lint = True
check_changelog = True
'''
# The importer unpacks the tarball as ansible_collections/placeholder_namespace/placeholder_name, so its ansible-lint
# cannot resolve the collection's own playbooks by name (tests/runner/project imports thingsstack.tenancy.provision,
# as AWX does). The ansible-lint step, which finds the collection, lints those files.
KNOWN = re.compile(r'^WARNING: ERROR\s+Failed to find thingsstack\.tenancy\.\w+ playbook\.$')
PROBLEM = re.compile(r'^(WARNING|ERROR|CRITICAL):')


def say(msg):
    print('galaxy: %s' % msg, flush=True)


def source_files():
    out = subprocess.run(['git', 'ls-files', '-z', '-co', '--exclude-standard'], cwd=REPO, stdout=subprocess.PIPE,
                         check=True)
    return set(name for name in out.stdout.decode('utf-8', 'surrogateescape').split('\0') if name)


def build(out, bindir):
    for name in os.listdir(out):
        if name.endswith('.tar.gz'):
            os.unlink(os.path.join(out, name))
    subprocess.run([os.path.join(bindir, 'ansible-galaxy'), 'collection', 'build', '--output-path', out, REPO],
                   cwd=REPO, check=True, stdin=subprocess.DEVNULL)
    built = [name for name in os.listdir(out) if name.endswith('.tar.gz')]
    if len(built) != 1:
        raise SystemExit('galaxy: expected one tarball in %s, found %s' % (out, built))
    return os.path.join(out, built[0])


def check_members(tarball, out):
    with tarfile.open(tarball) as tar:
        files = sorted(member.name for member in tar.getmembers() if not member.isdir())
    with open(os.path.join(out, 'members.txt'), 'w', encoding='utf-8') as handle:
        handle.write('\n'.join(files) + '\n')
    problems = []
    sources = source_files()
    leftovers = [name for name in files if name not in BUILT and name not in sources]
    if leftovers:
        problems.append('build leftovers in the tarball (add them to build_ignore in galaxy.yml): %s' % ', '.join(leftovers))
    missing = [name for name in REQUIRED if name not in files]
    if missing:
        problems.append('missing from the tarball: %s' % ', '.join(missing))
    say('%s: %d files (listed in %s), %d build leftovers'
        % (os.path.basename(tarball), len(files), os.path.join(out, 'members.txt'), len(leftovers)))
    return problems


def run_importer(tarball, out, bindir):
    config = os.path.join(out, 'galaxy-importer.cfg')
    with open(config, 'w', encoding='utf-8') as handle:
        handle.write(CONFIG)
    tmp = os.path.join(out, 'tmp')
    os.makedirs(tmp, exist_ok=True)
    env = dict(os.environ, GALAXY_IMPORTER_CONFIG=config, GALAXY_IMPORTER_TMP_ROOT_DIR=tmp,
               PATH=os.pathsep.join([bindir, os.environ.get('PATH', '/usr/bin:/bin')]))
    proc = subprocess.run([os.path.join(bindir, 'python'), '-m', 'galaxy_importer.main', tarball], cwd=out, env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    output = proc.stdout.decode('utf-8', 'replace')
    with open(os.path.join(out, 'importer.log'), 'w', encoding='utf-8') as handle:
        handle.write(output)
    lines = output.splitlines()
    problems = [line for line in lines if PROBLEM.match(line) and not KNOWN.match(line)]
    known = [line for line in lines if KNOWN.match(line)]
    print('\n'.join(line for line in lines if not line.startswith('Loading ')), flush=True)
    say('galaxy-importer: exit %d, %d warnings or errors, %d known (see KNOWN in %s)'
        % (proc.returncode, len(problems), len(known), os.path.relpath(__file__, REPO)))
    if proc.returncode != 0 or 'Importer processing completed successfully' not in output:
        problems.append('galaxy-importer failed (exit %d), see %s' % (proc.returncode, os.path.join(out, 'importer.log')))
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--out', default=os.path.join(REPO, 'build', 'galaxy'))
    args = parser.parse_args(argv)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    bindir = os.path.dirname(sys.executable)
    tarball = build(out, bindir)
    problems = check_members(tarball, out) + run_importer(tarball, out, bindir)
    for problem in problems:
        say('FAILED: %s' % problem)
    if not problems:
        say('OK: %s' % tarball)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
