"""The config's ``compile``: checked when the config loads, and a real training + test run with the backbone
compiled (PysklRunner compiles it in place, not mmengine's train_step)."""

import os
import pickle
import re

import numpy as np
import pytest
import torch

from pyskl.core.config import load_config
from pyskl.core.config_checks import compile_options
from repo_paths import REPO

CONFIG = os.path.join(REPO, 'configs', 'stgcn++', 'stgcn++_ntu60_xsub_3dkp', 'j.py')


def test_compile_options():
    assert compile_options(None) is None and compile_options(False) is None
    assert compile_options(True) == {}
    opts = dict(backend='inductor', mode='max-autotune', dynamic=False, fullgraph=False)
    assert compile_options(opts) == opts
    with pytest.raises(ValueError, match=r'cfg.py: compile must be True, False or a dict'):
        compile_options('yes', 'cfg.py')
    with pytest.raises(ValueError, match=r'compile.modes is not a torch.compile argument'):
        compile_options(dict(modes='default'))
    with pytest.raises(ValueError, match=r'compile.dynamic has the wrong type'):
        compile_options(dict(dynamic='no'))
    with pytest.raises(ValueError, match=r'compile.mode and compile.options cannot both be set'):
        compile_options(dict(mode='default', options={'max_autotune': True}))


def test_bad_compile_option_fails_when_the_config_loads():
    assert load_config(CONFIG, {'compile': True}).compile is True
    with pytest.raises(ValueError, match=r'j.py: compile.backnd is not a torch.compile argument'):
        load_config(CONFIG, {'compile.backnd': 'eager'})


@pytest.mark.slow
def test_compiled_training_and_test_match_eager(demo_ann, tmp_path, th):
    """The same seeded run with and without ``compile`` (backend ``aot_eager``: dynamo's graph capture and
    AOTAutograd's forward / backward graphs, without inductor's C++ code generation, which takes minutes on
    CI's two cores): the backbone is compiled once for training, validation and the final test; the losses
    match those of the eager run computing every padding person; the checkpoints have the same keys (no
    ``_orig_mod.``) and load into an uncompiled test whose scores equal the compiled test's."""
    runs = {}
    # compiled, the backbone computes every padding person (data-dependent shapes); so does the eager run here,
    # as the float32 sums of the shared persons round differently (the losses would part by ~1e-3 in 5 steps)
    for name, extra in (
        ('eager', ['model.backbone.share_empty_persons=False']),
        ('compiled', ['compile.backend=aot_eager']),
    ):
        work = str(tmp_path / name)
        out = th.run(
            th.python_tool('train.py')
            + [th.CONFIG, '--work-dir', work, '--seed', '3', '--test-last', '--cfg-options']
            + th.small_cfg_options(demo_ann, 1)
            + extra,
            cwd=str(tmp_path),
        )
        runs[name] = (work, out)
    work, out = runs['compiled']
    assert out.count("STGCN compiled (torch.compile {'backend': 'aot_eager'})") == 1
    assert 'STGCN compiled' not in runs['eager'][1]
    losses = {k: [float(x) for x in re.findall(r'Epoch\(train\).*? loss: ([0-9.]+)', o)] for k, (_, o) in runs.items()}
    assert len(losses['eager']) == 5
    np.testing.assert_allclose(losses['compiled'], losses['eager'], rtol=1e-4)
    eager_ckpt = torch.load(os.path.join(runs['eager'][0], 'epoch_1.pth'), weights_only=True)
    ckpt_path = os.path.join(work, 'epoch_1.pth')
    ckpt = torch.load(ckpt_path, weights_only=True)
    assert list(ckpt['state_dict']) == list(eager_ckpt['state_dict'])

    scores = {}
    for name, extra in (('eager', []), ('compiled', ['compile.backend=aot_eager'])):
        out_pkl = str(tmp_path / f'{name}.pkl')
        out = th.run(
            th.python_tool('test.py')
            + [th.CONFIG, ckpt_path, '--work-dir', str(tmp_path / f'test_{name}'), '--out', out_pkl, '--cfg-options']
            + th.small_cfg_options(demo_ann)
            + extra,
            cwd=str(tmp_path),
        )
        assert ('STGCN compiled' in out) == (name == 'compiled')
        with open(out_pkl, 'rb') as f:
            scores[name] = np.stack(pickle.load(f))
    assert scores['eager'].shape == (10, 60)
    np.testing.assert_allclose(scores['compiled'], scores['eager'], rtol=1e-4, atol=1e-6)
