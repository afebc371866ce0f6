"""Build the collection's documentation website with antsibull-docs and Sphinx (offline); `make docs-site` runs it.

    build/venv-main/bin/python tests/harness/docs_site.py [--collections-path DIR] [--dest DIR]

antsibull-docs writes the RST of every module, filter and role (what `ansible-doc` shows), the guides of
docs/docsite/extra-docs.yml (RST in docs/docsite/rst/) and the changelog (docs/docsite/config.yml) to DEST/rst, and
Sphinx builds it to DEST/html (open DEST/html/index.html). Sphinx warnings fail the build, and so does a guide or a
release of changelogs/changelog.yaml missing from the built pages (check_pages). DEST defaults to build/docs-site.
Without --collections-path the collection is read from a symlink tree of this checkout in DEST/collections.
Run with the Python of a venv that has antsibull-docs and Sphinx (build/venv-main): their commands are taken from
its bin directory. The theme is Sphinx's own alabaster (sphinx-ansible-theme is not in the venv) and there is no
intersphinx, so nothing is downloaded.
"""

import argparse
import html
import os
import re
import shutil
import subprocess
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTION = 'thingsstack.tenancy'
CONF = '''\
# Written by tests/harness/docs_site.py.
project = 'thingsstack.tenancy'
copyright = 'thingsstack.tenancy contributors'
extensions = ['sphinx_antsibull_ext']
pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'
html_theme = 'alabaster'
html_title = 'thingsstack.tenancy'
html_show_sphinx = False
html_copy_source = False
default_role = 'any'
# Labels of the Ansible docsite that intersphinx would resolve online; every other missing reference fails the build.
nitpicky = True
nitpick_ignore = [('ref', label) for label in ('action_plugins', 'common_return_values', 'ansible_configuration_settings')]
# ansible-core's own environment variables, documented on the Ansible docsite (the inventory_cache doc fragment's).
nitpick_ignore += [('envvar', 'ANSIBLE_CACHE_PLUGIN' + suffix) for suffix in ('', '_CONNECTION', '_PREFIX', '_TIMEOUT')]
'''
INDEX = '''\
thingsstack.tenancy
===================

Declarative provisioning of The Things Stack Enterprise tenants billed through Stripe.

.. toctree::
   :maxdepth: 2

   collections/thingsstack/tenancy/index

.. toctree::
   :maxdepth: 1
   :caption: Indexes
   :glob:

   collections/index_*
   collections/environment_variables
'''


def symlink_tree(dest):
    """DEST/collections/ansible_collections/thingsstack/tenancy -> this checkout."""
    root = os.path.join(dest, 'collections')
    link = os.path.join(root, 'ansible_collections', *COLLECTION.split('.'))
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if os.path.lexists(link) and os.readlink(link) != REPO:
        os.unlink(link)
    if not os.path.lexists(link):
        os.symlink(REPO, link)
    return root


def title_of(rst_file):
    """The document title of an RST file: the first line underlined with =, as plain text."""
    with open(rst_file, encoding='utf-8') as handle:
        lines = handle.read().splitlines()
    for line, below in zip(lines, lines[1:]):
        if line.strip() and re.fullmatch(r'=+', below) and len(below) >= len(line.strip()):
            return line.strip().replace('``', '')
    raise SystemExit('docs site: no title in %s' % rst_file)


def page_text(path):
    with open(path, encoding='utf-8') as handle:
        text = html.unescape(re.sub(r'<[^>]+>', '', handle.read()))
    return text.replace('\u2019', "'").replace('\u201c', '"').replace('\u201d', '"')  # Sphinx's smart quotes


def check_pages(collection, out):
    """Problems: a guide of extra-docs.yml or a release of the changelog that the built site lacks."""
    docsite = os.path.join(collection, 'docs', 'docsite')
    with open(os.path.join(docsite, 'extra-docs.yml'), encoding='utf-8') as handle:
        guides = [
            entry if isinstance(entry, str) else entry['ref'] for section in yaml.safe_load(handle)['sections']
            for entry in section['toctree']
        ]
    with open(os.path.join(collection, 'changelogs', 'changelog.yaml'), encoding='utf-8') as handle:
        releases = sorted(yaml.safe_load(handle)['releases'])
    base = os.path.join(out, 'collections', *COLLECTION.split('.'))
    index = os.path.join(base, 'index.html')
    if not os.path.exists(index):
        return ['no collection index %s' % index]
    with open(index, encoding='utf-8') as handle:
        index_html = handle.read()
    problems = []
    pages = [('docsite/%s.html' % guide, title_of(os.path.join(docsite, 'rst', guide + '.rst'))) for guide in guides]
    pages += [('changelog.html', 'v' + release) for release in releases]
    for page, heading in pages:
        path = os.path.join(base, page)
        if not os.path.exists(path):
            problems.append('%s was not built' % os.path.relpath(path, out))
        elif heading not in page_text(path):
            problems.append('%s lacks %r' % (os.path.relpath(path, out), heading))
        elif 'href="%s' % page not in index_html:
            problems.append('the collection index does not link to %s' % page)
        else:
            print('docs site: %s holds %r' % (os.path.relpath(path, out), heading), flush=True)
    return problems


def run(cmd, env):
    print('+ %s' % ' '.join(cmd), flush=True)
    return subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, check=False).returncode


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--collections-path', help='a directory holding ansible_collections/thingsstack/tenancy')
    parser.add_argument('--dest', default=os.path.join(REPO, 'build', 'docs-site'))
    args = parser.parse_args(argv)
    dest = os.path.abspath(args.dest)
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=os.pathsep.join([bindir, os.environ.get('PATH', '/usr/bin:/bin')]),
               ANSIBLE_COLLECTIONS_PATH=os.path.abspath(args.collections_path or symlink_tree(dest)), ANSIBLE_NOCOLOR='1')
    rst, html_dir = os.path.join(dest, 'rst'), os.path.join(dest, 'html')
    for path in (rst, html_dir):
        shutil.rmtree(path, ignore_errors=True)
    os.makedirs(rst, mode=0o755)
    os.chmod(rst, 0o755)  # antsibull-docs refuses a destination that others may write to
    rc = run([os.path.join(bindir, 'antsibull-docs'), 'collection', '--use-current', '--fail-on-error', '--dest-dir', rst, COLLECTION], env)
    if rc != 0:
        return rc
    with open(os.path.join(dest, 'conf.py'), 'w', encoding='utf-8') as handle:
        handle.write(CONF)
    with open(os.path.join(rst, 'index.rst'), 'w', encoding='utf-8') as handle:
        handle.write(INDEX)
    rc = run([os.path.join(bindir, 'sphinx-build'), '-q', '-W', '--keep-going', '-b', 'html', '-c', dest, rst, html_dir], env)
    if rc != 0:
        return rc
    collection = os.path.join(env['ANSIBLE_COLLECTIONS_PATH'], 'ansible_collections', *COLLECTION.split('.'))
    problems = check_pages(collection, html_dir)
    for problem in problems:
        print('docs site: FAILED: %s' % problem, flush=True)
    if problems:
        return 1
    print('docs site: %s' % os.path.join(html_dir, 'index.html'), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
