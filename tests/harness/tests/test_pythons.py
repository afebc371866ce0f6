"""Which Pythons the harness picks (find-python.sh, `run.py pythons`), on machines simulated with HARNESS_PYTHONS.

Run by the harness step `emulator-tests`; the cases that need a real Python 3.11, 3.12 or 3.13 are skipped
where this machine has none.
"""

import os
import subprocess
import sys

import pytest

HARNESS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIND = os.path.join(HARNESS, 'find-python.sh')
RUN = os.path.join(HARNESS, 'run.py')


def run(cmd, pythons=None):
    env = dict(os.environ)
    env.pop('HARNESS_PYTHONS', None)
    if pythons is not None:
        env['HARNESS_PYTHONS'] = pythons
    return subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120, check=False)


def version_of(python):
    return run([python, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])']).stdout.strip()


def on_machine(*versions):
    return all(run(['bash', FIND, v]).returncode == 0 for v in versions)


def needs(*versions):
    return pytest.mark.skipif(not on_machine(*versions), reason='needs Python %s here' % ' and '.join(versions))


def test_no_supported_python_is_one_sentence_saying_what_to_install():
    out = run(['bash', FIND], '3.99')
    assert out.returncode == 1
    assert out.stdout == ''
    assert out.stderr.count('\n') == 1
    assert out.stderr.startswith('find-python.sh: no Python 3.11, 3.12 or 3.13 with its venv module found')
    assert 'install one, e.g.' in out.stderr


def test_run_py_says_the_same_sentence_without_a_traceback():
    out = run([sys.executable, RUN, 'venv', 'main'], '3.99')
    assert out.returncode == 1
    assert out.stderr == run(['bash', FIND], '3.99').stderr


@needs('3.11', '3.12')
def test_hidden_versions_are_not_found():
    assert run(['bash', FIND, '3.11'], '3.12').returncode == 1
    assert version_of(run(['bash', FIND], '3.12').stdout.strip()) == '3.12'


@needs('3.11', '3.12')
def test_main_prefers_311_and_second_takes_312():
    out = run([sys.executable, RUN, 'pythons'], '3.11 3.12 3.13')
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith('main: ') and lines[0].endswith(' (3.11)')
    assert lines[1].startswith('second: ') and lines[1].endswith(' (3.12)')


@needs('3.12', '3.13')
def test_only_312_and_313():
    lines = run([sys.executable, RUN, 'pythons'], '3.12 3.13').stdout.splitlines()
    assert lines[0].endswith(' (3.12)')
    assert lines[1].endswith(' (3.13)')


@needs('3.13')
def test_only_313_has_no_second_python_and_says_what_to_install():
    out = run([sys.executable, RUN, 'pythons'], '3.13')
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].endswith(' (3.13)')
    assert lines[1] == 'second: none (no second Python for ansible-core 2.21: install Python 3.12 next to Python 3.13)'
