"""The collection tarball as Galaxy and Automation Hub receive it (the harness step `galaxy-importer`, `make galaxy`).

    build/venv-importer/bin/python tests/harness/galaxy_check.py [--out build/galaxy]

1. `ansible-galaxy collection build` of the files under version control (`git ls-files`: tracked or staged), copied
   out of the checkout first, as a maintainer publishes it: untracked files (an operator's my-inventory/,
   my-catalog.yml, audit-report/, exported/, build leftovers) never enter the tarball, ignored or not;
2. its members (listed in OUT/members.txt) are exactly those files minus what build_ignore in galaxy.yml (and
   ansible-galaxy's own defaults) leave out on purpose, and the files Galaxy shows (README.md, LICENSE, CHANGELOG.rst,
   ...) are there;
3. the same build of a copy of the checkout with operator files in it (OPERATOR_FILES) leaves them all out;
4. galaxy-importer on the tarball, as Galaxy runs it on upload, offline: the metadata, ansible-doc of every plugin,
   ansible-lint (production profile) and the changelog. Not its ansible-test in a container (the sanity steps run
   ansible-test) nor its flake8 (which takes the filters' .yml docs for Python; sanity runs pep8 and pylint).
   Every warning or error of the import fails the check, except the one in KNOWN.
Run with the Python of the importer venv: ansible-galaxy, ansible-doc and ansible-lint are taken from its bin.
"""

import argparse
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tarfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REQUIRED = ('README.md', 'LICENSE', 'CHANGELOG.rst', 'changelogs/changelog.yaml', 'meta/runtime.yml', 'MANIFEST.json', 'FILES.json')
BUILT = ('MANIFEST.json', 'FILES.json')  # written by ansible-galaxy
# What ansible-galaxy collection build leaves out whatever build_ignore says (ansible.galaxy.collection).
DEFAULT_IGNORE = ('MANIFEST.json', 'FILES.json', 'galaxy.yml', 'galaxy.yaml', '.git', '*.pyc', '*.retry', 'tests/output',
                  'thingsstack-tenancy-*.tar.gz')
IGNORED_DIRS = ('CVS', '.bzr', '.hg', '.git', '.svn', '__pycache__', '.tox')
# Files an operator following the README may leave in a checkout: none may be packed.
OPERATOR_FILES = {
    'my-catalog.yml': 'playbooks/vars/catalog.example.yml',
    'my-inventory/hosts.yml': 'playbooks/inventory/example/hosts.yml',
    'my-inventory/group_vars/tenants.yml': 'playbooks/inventory/example/group_vars/tenants.yml',
    'fleet.tenants.yml': None,
    'audit-report/tenants.json': None,
    'audit-report/tenants.md': None,
    'exported/hosts.yml': None,
    'playbooks/exported/hosts.yml': None,
    'playbooks/audit-report/tenants.json': None,
}
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


def tracked_files(repo):
    """The files under version control in repo (tracked or staged) that exist in its work tree."""
    out = subprocess.run(['git', 'ls-files', '-z', '--cached'], cwd=repo, stdout=subprocess.PIPE, check=True)
    names = out.stdout.decode('utf-8', 'surrogateescape').split('\0')
    return set(name for name in names if name and os.path.lexists(os.path.join(repo, name)))


def ignored(name, patterns):
    """Whether ansible-galaxy collection build leaves the file out: it or a parent directory matches a pattern."""
    parts = name.split('/')
    if any(part in IGNORED_DIRS for part in parts[:-1]):
        return True
    prefixes = ['/'.join(parts[:i]) for i in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes for pattern in patterns)


def expected_members(repo):
    """The files the tarball must hold: those under version control minus build_ignore and ansible-galaxy's defaults."""
    with open(os.path.join(repo, 'galaxy.yml'), encoding='utf-8') as handle:
        patterns = DEFAULT_IGNORE + tuple((yaml.safe_load(handle) or {}).get('build_ignore') or ())
    return set(name for name in tracked_files(repo) if not ignored(name, patterns))


def export_tree(repo, dest):
    """Copy the files under version control of repo to dest (a fresh directory), keeping symlinks and modes."""
    shutil.rmtree(dest, ignore_errors=True)
    for name in sorted(tracked_files(repo)):
        src, dst = os.path.join(repo, name), os.path.join(dest, name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
    return dest


def build(repo, out, galaxy):
    """ansible-galaxy collection build of repo's files under version control into out; returns the tarball's path."""
    for name in os.listdir(out):
        if name.endswith('.tar.gz'):
            os.unlink(os.path.join(out, name))
    source = export_tree(repo, os.path.join(out, 'source'))
    subprocess.run([galaxy, 'collection', 'build', '--output-path', out, source], cwd=out, check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.PIPE)
    shutil.rmtree(source)
    built = [name for name in os.listdir(out) if name.endswith('.tar.gz')]
    if len(built) != 1:
        raise SystemExit('galaxy: expected one tarball in %s, found %s' % (out, built))
    return os.path.join(out, built[0])


def members(tarball):
    with tarfile.open(tarball) as tar:
        return sorted(member.name for member in tar.getmembers() if not member.isdir())


def unexpected_members(files, repo):
    """Problems: files of the tarball that are not part of the collection, and files of the collection it lacks."""
    expected = expected_members(repo)
    problems = []
    extra = [name for name in files if name not in BUILT and name not in expected]
    if extra:
        problems.append('files in the tarball that are not under version control in %s (commit them, or keep them '
                        'outside the checkout): %s' % (repo, ', '.join(extra)))
    missing = sorted(expected - set(files))
    if missing:
        problems.append('files under version control missing from the tarball (add them to build_ignore in galaxy.yml '
                        'if that is on purpose): %s' % ', '.join(missing))
    return problems


def copy_with_operator_files(dest):
    """A copy of the checkout under version control (as a clone is), plus OPERATOR_FILES, untracked."""
    export_tree(REPO, dest)
    subprocess.run(['git', 'init', '-q', dest], check=True)
    subprocess.run(['git', 'add', '-A'], cwd=dest, check=True)
    for name, example in OPERATOR_FILES.items():
        path = os.path.join(dest, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if example:
            shutil.copy(os.path.join(REPO, example), path)
        else:
            with open(path, 'w', encoding='utf-8') as handle:
                handle.write('{"customer_email": "billing@acme.example"}\n')
    untracked = subprocess.run(['git', 'ls-files', '-o', '--exclude-standard'], cwd=dest, stdout=subprocess.PIPE,
                               check=True).stdout.decode().split()
    if sorted(untracked) != sorted(OPERATOR_FILES):
        raise SystemExit('galaxy: the copy should hold the operator files untracked, it holds %s' % untracked)
    return dest


def operator_files_in(names):
    return sorted(set(name for name in names for operator in OPERATOR_FILES if name == operator or name.endswith('/' + operator)))


def check_members(tarball, out):
    files = members(tarball)
    with open(os.path.join(out, 'members.txt'), 'w', encoding='utf-8') as handle:
        handle.write('\n'.join(files) + '\n')
    problems = unexpected_members(files, REPO)
    missing = [name for name in REQUIRED if name not in files]
    if missing:
        problems.append('missing from the tarball: %s' % ', '.join(missing))
    say('%s: %d files (listed in %s), exactly the files under version control minus build_ignore: %s' %
        (os.path.basename(tarball), len(files), os.path.join(out, 'members.txt'), 'no' if problems else 'yes'))
    return problems


def check_operator_files(out, galaxy):
    """A checkout with an operator's files in it builds a tarball without them."""
    work = os.path.join(out, 'operator-files')
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    copy = copy_with_operator_files(os.path.join(work, 'checkout'))
    files = members(build(copy, work, galaxy))
    problems = unexpected_members(files, copy)
    packed = operator_files_in(files)
    if packed:
        problems.append('operator files packed from a checkout that holds them: %s' % ', '.join(packed))
    say('a checkout with %d operator files (%s) builds a tarball of %d files, %d of them operator files' %
        (len(OPERATOR_FILES), ', '.join(sorted(OPERATOR_FILES)), len(files), len(packed)))
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
    say('galaxy-importer: exit %d, %d warnings or errors, %d known (see KNOWN in %s)' %
        (proc.returncode, len(problems), len(known), os.path.relpath(__file__, REPO)))
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
    galaxy = os.path.join(bindir, 'ansible-galaxy')
    tarball = build(REPO, out, galaxy)
    problems = check_members(tarball, out) + check_operator_files(out, galaxy) + run_importer(tarball, out, bindir)
    for problem in problems:
        say('FAILED: %s' % problem)
    if not problems:
        say('OK: %s' % tarball)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
