"""Hostile and broken files against every loader, each in its own subprocess (issue 9).

The corpus is generated here (no binary blobs): malicious globals, forged object arrays, object /
structured dtypes, protocol-5 buffers, deep nesting, memory bombs, truncated / empty / text files. Every
case must end with a clear error that names the file (exit code > 0: never a signal), must not create the
marker file, and runs under an address-space limit (``RLIMIT_AS``) so that a bomb cannot take the machine.
"""

import os
import pickle
import resource
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from repo_paths import REPO

MEMORY_LIMIT = 3 << 30  # address space of one case; torch alone maps ~1 GiB


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _run(cmd, timeout=300):
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONPATH=REPO)
    return subprocess.run(
        cmd,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
    )


def _global(module, name):
    return b'c' + module.encode() + b'\n' + name.encode() + b'\n'


def _str(s):
    data = s.encode()
    return b'X' + struct.pack('<I', len(data)) + data


def _call(func, *args):
    """Protocol-2 ``func(*args)`` where each arg is already pickled."""
    return func + b'(' + b''.join(args) + b'tR'


def _bytes(data):
    """``bytes`` as protocol 2 writes them (``_codecs.encode(str, 'latin1')``): both loaders read this form."""
    return _call(_global('_codecs', 'encode'), _str(data.decode('latin1')), _str('latin1'))


def _forged_object_array(flags):
    """An ndarray whose dtype state claims dtype('O'): its 8 data bytes would be read as a pointer."""
    dtype = _call(_global('numpy', 'dtype'), _str('O8'), b'\x89', b'\x88')
    dtype += b'(K\x03' + _str('|') + b'NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK' + bytes([flags]) + b'tb'
    array = _call(
        _global('numpy.core.multiarray', '_reconstruct'), _global('numpy', 'ndarray'), b'K\x00\x85', _bytes(b'b')
    )
    return array + b'(K\x01K\x01\x85' + dtype + b'\x89' + _bytes(b'\x41' * 8) + b'tb'


def _deep_list(depth):
    return b'\x80\x04' + b']' * depth + b'a' * (depth - 1) + b'.'


class _ForgedDtype:
    def __reduce__(self):
        return np.dtype, ('O8', False, True), (3, '|', None, None, None, -1, -1, 0)


class _ForgedArray:
    """Pickles as an ndarray of dtype('O') (flags 0) whose data is 8 bytes 'A': a pointer 0x4141414141414141."""

    def __reduce__(self):
        return (
            np.ndarray.__reduce__(np.zeros(0))[0],
            (np.ndarray, (0,), b'b'),
            (1, (1,), _ForgedDtype(), False, b'A' * 8),
        )


def _shared_explosion(levels=60):
    """A few hundred bytes whose tree, expanded, has 2**levels leaves (each level references the one below twice)."""
    x = [0]
    for _ in range(levels):
        x = [x, x]
    return pickle.dumps({'annotations': [{'frame_dir': 'a', 'label': x}]}, protocol=2)


def _self_reference():
    loop = []
    loop.append(loop)
    return pickle.dumps({'annotations': [{'frame_dir': 'a', 'label': loop}]}, protocol=2)


def pickle_corpus(marker):
    """``name -> (file bytes, words the error must contain)``."""
    m = str(marker)
    p2 = b'\x80\x02'
    structured = np.zeros(2, dtype=[('a', 'f4'), ('b', 'i4')])
    return {
        'os_system': (p2 + _call(_global('os', 'system'), _str(f'touch {m}')) + b'.', 'os.system'),
        'posix_system': (p2 + _call(_global('posix', 'system'), _str(f'touch {m}')) + b'.', 'posix.system'),
        'builtins_eval': (p2 + _call(_global('builtins', 'eval'), _str(f'open({m!r}, "w")')) + b'.', 'eval'),
        'subprocess_popen': (p2 + _call(_global('subprocess', 'Popen'), _str(f'touch {m}')) + b'.', 'Popen'),
        'getattr_trick': (
            p2 + _call(_global('builtins', 'getattr'), _global('os', 'path'), _str('exists')) + b'.',
            'getattr',
        ),
        'forged_object_array': (p2 + _forged_object_array(0) + b'.', 'dtype'),
        'forged_object_array_flags': (p2 + _forged_object_array(63) + b'.', 'dtype'),
        'object_array': (pickle.dumps({'label': np.array([1, 'a'], dtype=object)}, protocol=2), 'dtype'),
        'structured_array': (pickle.dumps(structured, protocol=2), 'dtype'),
        'protocol5_object_buffer': (
            b'\x80\x05'
            + _call(
                _global('numpy._core.numeric', '_frombuffer'),
                b'\x96\x08\x00\x00\x00\x00\x00\x00\x00' + b'A' * 8,
                _call(_global('numpy', 'dtype'), _str('O8'), b'\x89\x88'),
                b'K\x01\x85',
                _str('C'),
            )
            + b'.',
            'dtype',
        ),
        'protocol5_out_of_band': (
            pickle.dumps(pickle.PickleBuffer(b'abcd'), protocol=5, buffer_callback=lambda b: False),
            'out-of-band',
        ),
        'deep_nesting': (_deep_list(10**6), 'too deep'),
        'shared_explosion': (_shared_explosion(), 'too many shared references'),
        'self_reference': (_self_reference(), 'contains itself'),
        'bytearray_bomb': (
            p2 + _call(_global('__builtin__', 'bytearray'), b'\x8a\x05\x00\x00\x00\x80\x00') + b'.',
            'too large',
        ),
        'declared_1tib_array': (
            p2
            + _call(
                _global('numpy.core.multiarray', '_reconstruct'),
                _global('numpy', 'ndarray'),
                b'K\x00\x85',
                _bytes(b'b'),
            )
            + b'(K\x01\x8a\x06\x00\x00\x00\x00\x00\x01\x85'
            + _call(_global('numpy', 'dtype'), _str('u1'), b'\x89\x88')
            + b'\x89'
            + _bytes(b'\x00')
            + b'tb.',
            'corrupt numpy array',
        ),
        'declared_1tib_bytes': (b'\x80\x04\x8e' + struct.pack('<Q', 1 << 40) + b'abc', 'too large'),
        'truncated': (pickle.dumps({'a': np.zeros(100)}, protocol=4)[:60], 'truncated'),
        'empty': (b'', 'empty file'),
        'text': (b'frame_dir,label\nS001C001P001R001A001,0\n', 'text file'),
    }


_LOAD_PICKLE = 'import sys; from pyskl.core.io import safe_load_pickle; safe_load_pickle(sys.argv[1])'
_LOAD_CKPT = 'import sys; from pyskl.engine.checkpoint import load_checkpoint_file; load_checkpoint_file(sys.argv[1])'


def _assert_clear_failure(proc, path, words, marker):
    tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ''
    assert proc.returncode > 0, f'exit {proc.returncode} (negative: killed by a signal)\n{proc.stdout[-3000:]}'
    assert str(path) in tail, proc.stdout[-3000:]
    assert words in tail, proc.stdout[-3000:]
    assert not os.path.exists(marker)


@pytest.mark.parametrize('case', sorted(pickle_corpus('m')))
def test_annotation_pickle_corpus(tmp_path, case):
    marker = tmp_path / 'marker'
    data, words = pickle_corpus(marker)[case]
    path = tmp_path / f'{case}.pkl'
    path.write_bytes(data)
    _assert_clear_failure(_run([sys.executable, '-c', _LOAD_PICKLE, str(path)]), path, words, marker)


def _zip_checkpoint(path, data_pkl):
    """A zip-format torch checkpoint whose data.pkl is ``data_pkl``."""
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as z:
        z.writestr('archive/data.pkl', data_pkl)
        z.writestr('archive/byteorder', 'little')
        z.writestr('archive/version', '3\n')


def checkpoint_corpus(marker, tmp_path):
    """``name -> (path, words)``: the pickle corpus inside zip checkpoints plus broken containers."""
    cases = {}
    for name, (data, words) in pickle_corpus(marker).items():
        if name in (
            'empty',
            'text',
            'truncated',
            'protocol5_out_of_band',
            'declared_1tib_bytes',
            'protocol5_object_buffer',
        ):
            continue  # protocol-5 opcodes are not checkpoints (torch refuses them); containers: below
        path = tmp_path / f'{name}.pth'
        _zip_checkpoint(path, data)
        words = {'deep_nesting': 'too deep', 'bytearray_bomb': 'bytearray', 'getattr_trick': 'os.path'}.get(
            name, words.split('.')[-1]
        )
        cases[name] = (path, words)
    path = tmp_path / 'getattr_history_buffer.pth'  # getattr is admitted for HistoryBuffer statistics only
    _zip_checkpoint(
        path,
        b'\x80\x02'
        + _call(
            _global('builtins', 'getattr'),
            _global('mmengine.logging.history_buffer', 'HistoryBuffer'),
            _str('register_statistics'),
        )
        + b'.',
    )
    cases['getattr_history_buffer'] = (path, 'refused getattr')
    good = tmp_path / 'good.pth'
    import torch

    torch.save({'state_dict': {'w': torch.zeros(1000)}}, good)
    for name, data, words in [
        ('empty', b'', 'empty file'),
        ('text', b'lr = 0.1\n', 'text file'),
        ('truncated', good.read_bytes()[:700], 'truncated'),
        ('annotation_pickle', pickle.dumps({'a': 1}), 'not a PyTorch checkpoint'),
    ]:
        path = tmp_path / f'{name}.pth'
        path.write_bytes(data)
        cases[name] = (path, words)
    return cases


def test_checkpoint_corpus(tmp_path):
    marker = tmp_path / 'marker'
    cases = checkpoint_corpus(marker, tmp_path)
    # one interpreter per case would cost a torch import each: run them in one process, one load per case,
    # and report how each ended (a segfault would kill the process and fail the test)
    script = (
        'import sys, json\nfrom pyskl.engine.checkpoint import load_checkpoint_file\nout = {}\n'
        'for p in sys.argv[1:]:\n'
        '    try:\n        load_checkpoint_file(p); out[p] = "LOADED"\n'
        '    except Exception as e:\n        out[p] = type(e).__name__ + ": " + str(e)\n'
        'print(json.dumps(out))\n'
    )
    proc = _run([sys.executable, '-c', script] + [str(p) for p, _ in cases.values()])
    assert proc.returncode == 0, proc.stdout[-3000:]
    import json

    results = json.loads(proc.stdout.strip().splitlines()[-1])
    for name, (path, words) in cases.items():
        message = results[str(path)]
        assert message.split(': ', 1)[1].startswith(str(path)), (name, message)
        assert words in message, (name, message)
    assert not marker.exists()
    # and a representative case fails a fresh process with exit 1
    _assert_clear_failure(
        _run([sys.executable, '-c', _LOAD_CKPT, str(cases['forged_object_array'][0])]),
        cases['forged_object_array'][0],
        'dtype',
        marker,
    )


def test_result_files_in_fuse_results(tmp_path):
    marker = tmp_path / 'marker'
    corpus = pickle_corpus(marker)
    good = tmp_path / 'good.pkl'
    good.write_bytes(pickle.dumps([np.ones(3, np.float32)] * 2))
    for case in ('posix_system', 'forged_object_array', 'bytearray_bomb'):
        path = tmp_path / f'{case}.pkl'
        path.write_bytes(corpus[case][0])
        proc = _run(
            [
                sys.executable,
                os.path.join(REPO, 'tools', 'analysis', 'fuse_results.py'),
                '--preds',
                str(good),
                str(path),
            ]
        )
        _assert_clear_failure(proc, path, corpus[case][1], marker)


# ------------------------------------------------------------------ heavy entry points (real tools/*.py runs)
@pytest.fixture(scope='module')
def trained(demo_ann, tmp_path_factory, th):
    """One real 1-epoch run: its epoch_1.pth is the base of the crafted checkpoints."""
    work = tmp_path_factory.mktemp('hostile_train')
    th.run(
        th.python_tool('train.py')
        + [th.CONFIG, '--work-dir', str(work), '--seed', '0', '--cfg-options']
        + th.small_cfg_options(demo_ann, 1),
        cwd=str(work),
    )
    return str(work / 'epoch_1.pth')


def _tool(th, name, args, cwd):
    return _run(th.python_tool(name) + args, timeout=600)


@pytest.mark.slow
def test_resume_never_executes_the_stored_config(trained, demo_ann, tmp_path, th):
    """mmengine's Runner.resume runs checkpoint['meta']['config'] through Config.fromstring (Python)."""
    import torch

    marker = tmp_path / 'pwned'
    ckpt = torch.load(trained, weights_only=True)
    ckpt['meta']['config'] = f'__import__("pathlib").Path({str(marker)!r}).touch()\ngpu_ids = [0]\n'
    evil = tmp_path / 'evil_epoch_1.pth'
    torch.save(ckpt, evil)
    work = tmp_path / 'resumed'
    proc = _tool(
        th,
        'train.py',
        [th.CONFIG, '--work-dir', str(work), '--resume', str(evil), '--cfg-options']
        + th.small_cfg_options(demo_ann, 1),
        tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert 'resumed epoch: 1' in proc.stdout
    assert not marker.exists()


@pytest.mark.slow
def test_hostile_checkpoints_through_the_tools(trained, demo_ann, tmp_path, th):
    """tools/train.py --resume, tools/test.py and init_recognizer on a representative subset of the corpus."""
    marker = tmp_path / 'marker'
    cases = checkpoint_corpus(marker, tmp_path)
    opts = ['--cfg-options'] + th.small_cfg_options(demo_ann, 1)
    for name in ('posix_system', 'forged_object_array'):
        path, words = cases[name]
        proc = _tool(
            th,
            'train.py',
            [th.CONFIG, '--work-dir', str(tmp_path / f'w_{name}'), '--resume', str(path)] + opts,
            tmp_path,
        )
        _assert_clear_failure(proc, path, words, marker)
    for name in ('truncated', 'bytearray_bomb'):
        path, words = cases[name]
        proc = _tool(th, 'test.py', [th.CONFIG, str(path), '--work-dir', str(tmp_path / 'test')] + opts, tmp_path)
        _assert_clear_failure(proc, path, words, marker)
    path, words = cases['deep_nesting']
    script = (
        'import sys; from pyskl.apis import init_recognizer; '
        'init_recognizer(sys.argv[1], sys.argv[2], cfg_options={"model.backbone.base_channels": 6, '
        '"model.cls_head.in_channels": 24})'
    )
    _assert_clear_failure(_run([sys.executable, '-c', script, th.CONFIG, str(path)]), path, words, marker)


@pytest.mark.slow
def test_hostile_annotation_through_train(demo_ann, tmp_path, th):
    """A real annotation file whose first label is a forged object array (the process segfaulted on main)."""
    from pyskl.core.io import safe_load_pickle

    marker = tmp_path / 'marker'
    data = safe_load_pickle(demo_ann)
    data['annotations'][0]['label'] = _ForgedArray()
    path = tmp_path / 'forged_ann.pkl'
    path.write_bytes(pickle.dumps(data, protocol=2))
    words = 'dtype'
    proc = _tool(
        th,
        'train.py',
        [th.CONFIG, '--work-dir', str(tmp_path / 'w'), '--cfg-options'] + th.small_cfg_options(str(path), 1),
        tmp_path,
    )
    _assert_clear_failure(proc, path, words, marker)


@pytest.mark.slow
def test_load_from_another_architecture_fails_unless_allowed(trained, demo_ann, tmp_path, th):
    """A checkpoint of a wider model: almost every tensor has another shape. It used to train from scratch,
    exit 0, with one warning."""
    wide = ['model.backbone.base_channels=8', 'model.cls_head.in_channels=32', f'load_from={trained}']
    opts = th.small_cfg_options(demo_ann, 1)
    proc = _tool(
        th, 'train.py', [th.CONFIG, '--work-dir', str(tmp_path / 'w'), '--cfg-options'] + opts + wide, tmp_path
    )
    assert proc.returncode > 0, proc.stdout[-3000:]
    tail = proc.stdout.strip().splitlines()[-1]
    # a user's mismatch, not a bug: one 'error:' line, no traceback
    assert tail.startswith(f'error: {trained}: load_from would load only'), tail
    assert 'Traceback' not in proc.stdout
    assert 'with another shape' in tail and 'allow_partial_load' in tail
    proc = _tool(
        th,
        'train.py',
        [th.CONFIG, '--work-dir', str(tmp_path / 'w2'), '--cfg-options'] + opts + wide + ['allow_partial_load=True'],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]


def _forge_training_state(ckpt, case):
    import torch

    if case == 'message_hub_list':
        ckpt['message_hub']['log_scalars'] = [1, 2]
    elif case == 'momentum_of_another_model':
        state = ckpt['optimizer']['state']
        first = next(iter(state))
        state[first]['momentum_buffer'] = torch.zeros(3)
    elif case == 'nan_lr':
        ckpt['optimizer']['param_groups'][0]['lr'] = float('nan')
    elif case == 'scheduler_garbage':
        ckpt['param_schedulers'][0]['last_step'] = 'x'
    elif case == 'iter_2_64':
        ckpt['meta']['iter'] = 2**64
    return ckpt


@pytest.mark.slow
def test_crafted_training_state_is_refused_before_training(trained, demo_ann, tmp_path, th):
    # each used to end in a traceback (AttributeError, TypeError, OverflowError), the momentum one only after
    # training had started, the NaN learning rate after an epoch of NaN losses
    import torch

    words = {
        'message_hub_list': 'its message_hub cannot be restored: AttributeError',
        'momentum_of_another_model': 'momentum_buffer of shape (3,)',
        'nan_lr': 'param_groups[0].lr = nan',
        'scheduler_garbage': 'its param_schedulers cannot be restored',
        'iter_2_64': 'not a training checkpoint that can be resumed',
    }
    opts = ['--cfg-options'] + th.small_cfg_options(demo_ann, 2)
    for case, expected in words.items():
        path = tmp_path / f'{case}.pth'
        torch.save(_forge_training_state(torch.load(trained, weights_only=True), case), path)
        proc = _tool(
            th, 'train.py', [th.CONFIG, '--work-dir', str(tmp_path / case), '--resume', str(path)] + opts, tmp_path
        )
        assert proc.returncode == 1 and 'Traceback' not in proc.stdout, (case, proc.stdout[-3000:])
        last = proc.stdout.strip().splitlines()[-1]
        assert last.startswith(f'error: {path}: ') and expected in last, (case, last)
        assert 'Epoch(train)' not in proc.stdout, case


def test_pipes_and_devices_are_refused_not_read(tmp_path):
    # a FIFO blocked ntu-preproc / predict forever; /dev/zero (a symlink named like the file) filled memory
    from pyskl.apis.log_analysis import load_run
    from pyskl.apis.predict import load_skeletons
    from pyskl.datasets.ntu_skeleton import read_skeleton_file

    fifo = tmp_path / 'S001C001P001R001A001.skeleton'
    os.mkfifo(fifo)
    zero = tmp_path / 'S001C001P001R001A002.skeleton'
    zero.symlink_to('/dev/zero')
    for path in (fifo, zero):
        with pytest.raises(ValueError, match=f'^{path}: not a regular file'):
            read_skeleton_file(str(path))
    for name in ('clip.json', 'clip.npy'):
        (tmp_path / name).symlink_to(fifo)
        with pytest.raises(ValueError, match='not a regular file'):
            load_skeletons(str(tmp_path / name))
    log = tmp_path / 'scalars.json'
    log.symlink_to('/dev/zero')
    with pytest.raises(ValueError, match='not a regular file'):
        load_run(str(log))


@pytest.mark.slow
def test_resume_refuses_a_checkpoint_of_another_experiment(trained, demo_ann, tmp_path, th):
    # the bone stream resumed from the joint stream's epoch_1.pth with no word (test already refused the pair)
    bone = th.CONFIG.replace(os.sep + 'j.py', os.sep + 'b.py')
    opts = ['--cfg-options'] + th.small_cfg_options(demo_ann, 2)
    proc = _tool(th, 'train.py', [bone, '--work-dir', str(tmp_path / 'b'), '--resume', trained] + opts, tmp_path)
    assert proc.returncode == 1 and 'Traceback' not in proc.stdout, proc.stdout[-3000:]
    assert 'was trained with a different experiment than this config' in proc.stdout
    assert "feats: checkpoint ['j'], config ['b']" in proc.stdout and 'Epoch(train)' not in proc.stdout
