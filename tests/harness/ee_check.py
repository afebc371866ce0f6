"""Check the execution environment definition docs/awx/ee/execution-environment.yml with ansible-builder (no container).

    python tests/harness/ee_check.py --builder BUILDER_VENV --ansible ANSIBLE_VENV [--out build/ee]

1. builds the collection tarball of the files under version control (galaxy_check.build: untracked files such as an
   operator's my-inventory/ never enter it) and puts it next to a copy of the EE file, as `make ee` does for an
   operator;
2. `ansible-builder create`: the definition is valid (ansible-builder 3 schema) and the build context holds the
   collection tarball and the galaxy requirements that install it;
3. installs the tarball and runs `ansible-builder introspect` on it: the collection's Python requirements (stripe,
   requests) are what the EE build will install, since the stock AWX EE lacks stripe;
4. the tarball holds exactly the collection's files under version control minus build_ignore (no build leftovers);
5. a copy of the checkout with operator files in it (galaxy_check.OPERATOR_FILES) builds a tarball and an EE context
   without them (OUT/operator-files).
Prints what it checked; exits non-zero on the first failed check.
"""

import argparse
import os
import shutil
import subprocess
import sys

from galaxy_check import OPERATOR_FILES, build, copy_with_operator_files, members, operator_files_in, unexpected_members

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EE_DEFINITION = os.path.join(REPO, 'docs', 'awx', 'ee', 'execution-environment.yml')
TARBALL = 'thingsstack-tenancy.tar.gz'


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


def build_context(repo, out, galaxy, builder):
    """The collection tarball of repo next to the EE file in out, and `ansible-builder create` of out/context."""
    build(repo, out, galaxy)
    built = [name for name in os.listdir(out) if name.startswith('thingsstack-tenancy-') and name.endswith('.tar.gz')]
    check(len(built) == 1, 'ansible-galaxy collection build made one tarball (%s)' % ', '.join(built))
    os.replace(os.path.join(out, built[0]), os.path.join(out, TARBALL))
    shutil.copy(EE_DEFINITION, out)
    run([builder, 'create', '-f', 'execution-environment.yml', '-c', 'context'], cwd=out)
    return os.path.join(out, 'context')


def check_operator_files(out, galaxy, builder):
    """A checkout with an operator's files in it: its tarball and EE context hold none of them."""
    work = os.path.join(out, 'operator-files')
    os.makedirs(work)
    copy = copy_with_operator_files(os.path.join(work, 'checkout'))
    context = build_context(copy, work, galaxy, builder)
    in_context = []
    for root, _dirs, names in os.walk(context):
        in_context += [os.path.relpath(os.path.join(root, name), context) for name in names]
    names = members(os.path.join(context, '_build', 'collections', TARBALL))
    packed = operator_files_in(in_context) + operator_files_in(names)
    check(
        not packed and not unexpected_members(names, copy),
        'a checkout with %d operator files (%s) builds a tarball and an EE context without them%s' %
        (len(OPERATOR_FILES), ', '.join(sorted(OPERATOR_FILES)), ''.join('; packed: ' + name for name in packed)))


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

    context = build_context(REPO, args.out, galaxy, builder)
    check(os.path.exists(os.path.join(context, '_build', 'collections', TARBALL)), 'the build context holds the collection tarball')
    names = members(os.path.join(context, '_build', 'collections', TARBALL))
    problems = unexpected_members(names, REPO)
    check(
        not problems,
        'the tarball holds exactly the collection\'s files under version control minus build_ignore' + ''.join('; ' + problem
                                                                                                               for problem in problems))
    check({'meta/execution-environment.yml', 'requirements.txt'} <= set(names),
          'the tarball carries meta/execution-environment.yml and requirements.txt for the introspection')
    containerfile = next(
        os.path.join(context, name) for name in ('Containerfile', 'Dockerfile') if os.path.exists(os.path.join(context, name)))
    with open(containerfile, encoding='utf-8') as handle:
        steps = handle.read()
    with open(os.path.join(context, '_build', 'requirements.yml'), encoding='utf-8') as handle:
        galaxy_requirements = handle.read()
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
    check_operator_files(args.out, galaxy, builder)
    print('ee_check: the execution environment definition is valid; context in %s' % os.path.relpath(context, REPO))


if __name__ == '__main__':
    main()
