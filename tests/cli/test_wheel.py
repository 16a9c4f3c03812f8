"""The ``pyskl`` command from an installed wheel, without a checkout: the wheel is built from this tree, installed
with ``pip install --target``, and run from a directory outside the repository with only the wheel's pyskl on
``PYTHONPATH`` (no ``tools/``, no ``configs/``)."""

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

pytestmark = pytest.mark.slow

#: what a wheel build reads from the tree
SOURCES = ('pyproject.toml', 'README.md', 'LICENSE', 'requirements.txt', 'requirements', 'pyskl')


def _run(cmd, cwd, env, timeout=600):
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f'{" ".join(map(str, cmd))}\nexit {proc.returncode}\n{proc.stdout[-6000:]}'
    return proc.stdout


@pytest.fixture(scope='module')
def wheel_site(tmp_path_factory, repo_root):
    """(wheel path, the --target folder it is installed in). The build runs on a copy of the tree, so the
    checkout gets no build/ or *.egg-info."""
    tmp = tmp_path_factory.mktemp('wheel')
    src = tmp / 'src'
    src.mkdir()
    for name in SOURCES:
        path = os.path.join(repo_root, name)
        if os.path.isdir(path):
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns('__pycache__', '*.pyc', '*.egg-info'))
        elif os.path.exists(path):
            shutil.copy(path, src / name)
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    _run(
        [
            sys.executable,
            '-m',
            'pip',
            'wheel',
            '--no-deps',
            '--no-build-isolation',
            '-q',
            '-w',
            str(tmp / 'dist'),
            str(src),
        ],
        cwd=str(tmp),
        env=env,
    )
    (wheel,) = (tmp / 'dist').glob('pyskl-*.whl')
    site = tmp / 'site'
    _run(
        [sys.executable, '-m', 'pip', 'install', '--no-deps', '-q', '--target', str(site), str(wheel)],
        cwd=str(tmp),
        env=env,
    )
    return wheel, site


def test_wheel_contents(wheel_site):
    wheel, _ = wheel_site
    names = zipfile.ZipFile(wheel).namelist()
    assert 'pyskl/datasets/data/ntu_samples_with_missing_skeletons.txt' in names
    assert 'pyskl/cli/main.py' in names and 'pyskl/__main__.py' in names
    assert not any(n.startswith(('tools/', 'configs/', 'tests/')) for n in names)
    entry_points = next(n for n in names if n.endswith('.dist-info/entry_points.txt'))
    assert 'pyskl = pyskl.cli.main:main' in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_command_runs_without_a_checkout(wheel_site, tmp_path, repo_root):
    _, site = wheel_site
    work = tmp_path / 'elsewhere'
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'OMP_WAIT_POLICY')}
    env.update(PYTHONPATH=str(site), OMP_NUM_THREADS='1')
    pyskl = [str(site / 'bin' / 'pyskl')]

    where = _run([sys.executable, '-c', 'import pyskl; print(pyskl.__file__)'], cwd=str(work), env=env).strip()
    assert where.startswith(str(site) + os.sep), where  # the wheel's pyskl, not the checkout's
    assert not where.startswith(repo_root)

    out = _run(pyskl + ['--help'], cwd=str(work), env=env)
    assert '  train' in out and '  make-demo-data' in out
    assert _run([sys.executable, '-m', 'pyskl', '--help'], cwd=str(work), env=env) == out

    # a real pipeline: demo data, its inspection, a config resolved from the checkout's configs/ into one
    # self-contained file, one epoch of training and a test of the checkpoint, all by the installed command
    ann = work / 'demo.pkl'
    out = _run(
        pyskl + ['make-demo-data', '--out', str(ann), '--num-subjects', '3', '--samples-per-class', '1'],
        cwd=str(work),
        env=env,
    )
    assert f'to {ann}' in out and ann.is_file()
    out = _run(pyskl + ['inspect', str(ann), '--split', 'xsub_train'], cwd=str(work), env=env)
    assert 'Result: OK' in out

    config = work / 'tiny.py'
    opts = [
        'model.backbone.base_channels=6',
        'model.cls_head.in_channels=24',
        f'ann_file={ann}',
        'clip_len=16',
        'train_cfg.max_epochs=1',
        'train_dataloader.dataset.times=1',
        'test_dataloader.dataset.pipeline.2.num_clips=1',
    ]
    for loader in ('train', 'val', 'test'):
        opts += [
            f'{loader}_dataloader.batch_size=4',
            f'{loader}_dataloader.num_workers=0',
            f'{loader}_dataloader.persistent_workers=False',
        ]
    _run(
        pyskl
        + [
            'print-config',
            os.path.join(repo_root, 'configs', 'stgcn++', 'stgcn++_ntu60_xsub_3dkp', 'j.py'),
            '--out',
            str(config),
            '--cfg-options',
        ]
        + opts,
        cwd=str(work),
        env=env,
    )
    _run(pyskl + ['train', str(config), '--work-dir', str(work / 'wd'), '--no-validate'], cwd=str(work), env=env)
    assert (work / 'wd' / 'epoch_1.pth').is_file()
    out = _run(
        pyskl
        + [
            'test',
            str(work / 'wd' / 'epoch_1.pth'),
            '--out',
            str(work / 'result.pkl'),
            '--work-dir',
            str(work / 'test_wd'),
        ],
        cwd=str(work),
        env=env,
    )
    assert 'Top-1:' in out and (work / 'result.pkl').is_file()
