"""Crash-safe file replacement, the resume-checkpoint finder, the auto-resume and --out options of
setup_train_cfg, and PysklRunner's substitution of SafeCheckpointHook (no training here)."""

import os
import subprocess
import sys

import pytest

from pyskl.engine.checkpoint_hook import SafeCheckpointHook, find_resume_checkpoint
from pyskl.core.fileio import TEMP_RE, link_or_copy_atomic, remove_stale_temp_files, temp_path, write_atomic
from repo_paths import REPO

CONFIG = os.path.join(REPO, 'configs', 'stgcn++', 'stgcn++_ntu60_xsub_3dkp', 'j.py')


def _dead_pid():
    proc = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'], stdout=subprocess.PIPE, text=True)
    return int(proc.stdout)


def test_write_atomic_failure_keeps_the_old_file(tmp_path):
    path = tmp_path / 'epoch_1.pth'
    path.write_bytes(b'old complete file')

    def write_half(tmp):
        with open(tmp, 'wb') as f:
            f.write(b'half of the new')
        raise OSError('disk full')

    with pytest.raises(OSError, match='disk full'):
        write_atomic(str(path), write_half)
    assert path.read_bytes() == b'old complete file'
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # no temporary file left

    def write_new(tmp):
        with open(tmp, 'wb') as f:
            f.write(b'new')

    write_atomic(str(path), write_new)
    assert path.read_bytes() == b'new' and os.listdir(tmp_path) == ['epoch_1.pth']


def test_temp_names_are_never_checkpoint_names(tmp_path):
    tmp = os.path.basename(temp_path(str(tmp_path / 'epoch_3.pth')))
    assert TEMP_RE.match(tmp) and tmp.startswith('.') and not tmp.endswith('.pth')


def test_link_or_copy_atomic(tmp_path):
    a, b, latest = tmp_path / 'epoch_1.pth', tmp_path / 'epoch_2.pth', tmp_path / 'latest.pth'
    a.write_bytes(b'one')
    b.write_bytes(b'two')
    assert link_or_copy_atomic(str(a), str(latest)) == 'hardlink'
    assert os.path.samefile(a, latest)
    link_or_copy_atomic(str(b), str(latest))
    assert latest.read_bytes() == b'two'
    b.unlink()  # the newest checkpoint deleted by hand: latest.pth still holds it
    assert latest.read_bytes() == b'two'
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth', 'latest.pth']


def test_remove_stale_temp_files(tmp_path):
    dead = tmp_path / f'.epoch_2.pth.{_dead_pid()}.0123abcd.tmp'
    alive = tmp_path / f'.epoch_2.pth.{os.getppid()}.0123abcd.tmp'  # a running process's save
    other = tmp_path / '.notes.tmp'
    for p in (dead, alive, other):
        p.write_bytes(b'x')
    assert remove_stale_temp_files(str(tmp_path)) == [str(dead)]
    assert sorted(os.listdir(tmp_path)) == sorted([alive.name, other.name])


def test_find_resume_checkpoint(tmp_path):
    assert find_resume_checkpoint(str(tmp_path / 'missing')) is None
    assert find_resume_checkpoint(str(tmp_path)) is None
    (tmp_path / '.epoch_9.pth.1.0123abcd.tmp').write_bytes(b'killed mid-save')
    (tmp_path / 'best_acc_top1_epoch_7.pth').write_bytes(b'b')
    assert find_resume_checkpoint(str(tmp_path)) is None  # temporary and best files are not resume points
    for n in (2, 10):
        (tmp_path / f'epoch_{n}.pth').write_bytes(b'e')
    assert find_resume_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_10.pth')  # numeric, not lexical
    (tmp_path / 'latest.pth').write_bytes(b'l')
    assert find_resume_checkpoint(str(tmp_path)) == str(tmp_path / 'latest.pth')
    # last_checkpoint wins; a path recorded before the work dir was moved is found by its base name
    (tmp_path / 'last_checkpoint').write_text('/somewhere/else/epoch_2.pth')
    assert find_resume_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_2.pth')
    (tmp_path / 'last_checkpoint').write_text('/somewhere/else/epoch_5.pth')  # gone: next candidate
    assert find_resume_checkpoint(str(tmp_path)) == str(tmp_path / 'latest.pth')


def test_find_resume_checkpoint_of_a_copied_work_dir(tmp_path):
    """A copy of a work dir continues from its own files, although ``last_checkpoint`` names the source's."""
    import shutil

    source = tmp_path / 'run'
    source.mkdir()
    for n in (1, 2):
        (source / f'epoch_{n}.pth').write_bytes(b'e')
    (source / 'last_checkpoint').write_text(str(source / 'epoch_2.pth'))
    copy = tmp_path / 'run_copy'
    shutil.copytree(source, copy)
    assert find_resume_checkpoint(str(copy)) == str(copy / 'epoch_2.pth')
    # the source trained on after the copy: its newer checkpoint is not the copy's
    (source / 'epoch_3.pth').write_bytes(b'e')
    (source / 'last_checkpoint').write_text(str(source / 'epoch_3.pth'))
    shutil.copy(source / 'last_checkpoint', copy / 'last_checkpoint')
    assert find_resume_checkpoint(str(copy)) == str(copy / 'epoch_2.pth')
    # checkpoints written to a hook's out_dir, none in the work dir: the recorded path is the one
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    (work_dir / 'last_checkpoint').write_text(str(source / 'epoch_3.pth'))
    assert find_resume_checkpoint(str(work_dir)) == str(source / 'epoch_3.pth')


def test_setup_train_cfg_resumes_a_work_dir_with_checkpoints(tmp_path):
    import torch

    from pyskl.apis import setup_train_cfg

    cfg = setup_train_cfg(CONFIG, work_dir=str(tmp_path), cfg_options={'load_from': 'pretrained.pth'})
    assert cfg.resume is False and cfg.load_from == 'pretrained.pth'  # nothing to resume: config's load_from
    torch.save(dict(meta=dict(seed=11, epoch=1), state_dict={}), tmp_path / 'epoch_1.pth')
    cfg = setup_train_cfg(CONFIG, work_dir=str(tmp_path), cfg_options={'load_from': 'pretrained.pth'})
    assert cfg.resume is True and cfg.load_from == str(tmp_path / 'epoch_1.pth') and cfg.randomness.seed == 11
    cfg = setup_train_cfg(CONFIG, work_dir=str(tmp_path), no_resume=True)
    assert cfg.resume is False and cfg.load_from is None and cfg.randomness.seed is None
    with pytest.raises(ValueError, match='--no-resume'):
        setup_train_cfg(CONFIG, work_dir=str(tmp_path), resume='auto', no_resume=True)


def test_setup_train_cfg_out(tmp_path):
    from pyskl.apis import setup_train_cfg
    from pyskl.apis.train import final_tests

    with pytest.raises(ValueError, match='--out must name a .pkl'):
        setup_train_cfg(CONFIG, work_dir=str(tmp_path), out=str(tmp_path / 'result.txt'))
    assert final_tests(False, False, 'r.pkl') == (True, False)  # --out alone tests the last checkpoint
    assert final_tests(False, True, 'r.pkl') == (False, True)
    assert final_tests(False, False, None) == (False, False)


@pytest.mark.parametrize('hook_type', ['CheckpointHook', 'mmengine.CheckpointHook', None])
def test_runner_substitutes_safe_checkpoint_hook(tmp_path, hook_type):
    from pyskl.apis.train import build_runner
    from pyskl.core.config import load_config

    cfg = load_config(CONFIG)
    cfg.work_dir = str(tmp_path)
    if hook_type is None:
        cfg.default_hooks.pop('checkpoint')  # mmengine's default CheckpointHook
    else:
        cfg.default_hooks.checkpoint = dict(type=hook_type, interval=2, max_keep_ckpts=1)
    runner = build_runner(cfg)
    hooks = [
        h
        for h in runner.hooks
        if type(h).__name__.endswith('CheckpointHook') and type(h).__name__ != 'WeightsOnlyCheckpointHook'
    ]
    assert len(hooks) == 1 and type(hooks[0]) is SafeCheckpointHook
    if hook_type is not None:
        assert hooks[0].interval == 2 and hooks[0].max_keep_ckpts == 1


def test_misspelt_checkpoint_hook_argument_is_refused_when_the_runner_is_built(tmp_path):
    """mmengine's CheckpointHook keeps unknown arguments for save_checkpoint, which failed at the first save, after
    an epoch of training; now building the runner (before any training) says which and what was meant."""
    from pyskl.apis.train import build_runner
    from pyskl.core.config import load_config

    cfg = load_config(CONFIG, cfg_options={'default_hooks.checkpoint.intervall': 2})
    cfg.work_dir = str(tmp_path)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'intervall' \(did you mean 'interval'\?\)"):
        build_runner(cfg)
