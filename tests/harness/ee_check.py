"""Check the execution environment definition docs/awx/ee/execution-environment.yml with ansible-builder (no container).

    python tests/harness/ee_check.py --builder BUILDER_VENV --ansible ANSIBLE_VENV [--out build/ee]

1. builds the collection tarball (ansible-galaxy collection build) and puts it next to a copy of the EE file, as
   `make ee` does for an operator;
2. `ansible-builder create`: the definition is valid (ansible-builder 3 schema) and the build context holds the
   collection tarball and the galaxy requirements that install it;
3. installs the tarball and runs `ansible-builder introspect` on it: the collection's Python requirements (stripe,
   requests) are what the EE build will install, since the stock AWX EE lacks stripe;
4. the tarball carries no build leftovers (build/, tests/output/, .ansible/, caches, integration_config.yml).
Prints what it checked; exits non-zero on the first failed check.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tarfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EE_DEFINITION = os.path.join(REPO, 'docs', 'awx', 'ee', 'execution-environment.yml')
TARBALL = 'thingsstack-tenancy.tar.gz'
LEFTOVERS = ('build/', 'tests/output/', '.ansible/', '__pycache__', '.pytest_cache', 'integration_config.yml', '.plugin-cache.yaml')


def run(cmd, cwd):
    print('+ ' + ' '.join(cmd), flush=True)
    out = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    text = out.stdout.decode('utf-8', 'replace')
    if out.returncode != 0:
        sys.exit('ee_check: command failed (exit %d):\n%s' % (out.returncode, text))
    return text


def check(condition, what):
    if not condition:
        sys.exit('ee_check: FAILED: ' + what)
    print('ee_check: ok: ' + what, flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--builder', required=True, help='venv with ansible-builder')
    parser.add_argument('--ansible', required=True, help='venv with ansible-core (ansible-galaxy)')
    parser.add_argument('--out', default=os.path.join(REPO, 'build', 'ee'))
    args = parser.parse_args()
    builder = os.path.join(os.path.abspath(args.builder), 'bin', 'ansible-builder')
    galaxy = os.path.join(os.path.abspath(args.ansible), 'bin', 'ansible-galaxy')
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)

    run([galaxy, 'collection', 'build', '--output-path', args.out, REPO], cwd=REPO)
    built = [name for name in os.listdir(args.out) if name.startswith('thingsstack-tenancy-') and name.endswith('.tar.gz')]
    check(len(built) == 1, 'ansible-galaxy collection build made one tarball (%s)' % ', '.join(built))
    os.replace(os.path.join(args.out, built[0]), os.path.join(args.out, TARBALL))
    shutil.copy(EE_DEFINITION, args.out)
    with tarfile.open(os.path.join(args.out, TARBALL)) as tar:
        names = tar.getnames()
    check(not [name for name in names if any(part in name for part in LEFTOVERS)], 'the tarball has no build leftovers')
    check({'meta/execution-environment.yml', 'requirements.txt'} <= set(names),
          'the tarball carries meta/execution-environment.yml and requirements.txt for the introspection')

    run([builder, 'create', '-f', 'execution-environment.yml', '-c', 'context'], cwd=args.out)
    context = os.path.join(args.out, 'context')
    containerfile = next(os.path.join(context, name) for name in ('Containerfile', 'Dockerfile')
                         if os.path.exists(os.path.join(context, name)))
    with open(containerfile, encoding='utf-8') as handle:
        steps = handle.read()
    with open(os.path.join(context, '_build', 'requirements.yml'), encoding='utf-8') as handle:
        galaxy_requirements = handle.read()
    check(os.path.exists(os.path.join(context, '_build', 'collections', TARBALL)), 'the build context holds the collection tarball')
    check('/build/collections/%s' % TARBALL in galaxy_requirements and 'type: file' in galaxy_requirements,
          'the galaxy requirements install the tarball')
    check('ansible-galaxy collection install' in steps and 'introspect' in steps,
          'the build installs the collection and introspects its Python requirements')

    collections = os.path.join(args.out, 'collections')
    run([galaxy, 'collection', 'install', '-p', collections, os.path.join(args.out, TARBALL)], cwd=args.out)
    found = run([builder, 'introspect', collections], cwd=args.out)
    for package in ('stripe', 'requests'):
        check(any(line.strip(" -'").startswith(package) for line in found.splitlines()),
              'the introspection finds the Python requirement %s' % package)
    print('ee_check: the execution environment definition is valid; context in %s' % os.path.relpath(context, REPO))


if __name__ == '__main__':
    main()
