"""pyskl.apis.test.setup_test_cfg refuses outputs that would overwrite each other or the checkpoint."""

import os

import pytest
from repo_paths import REPO

from pyskl.apis import setup_test_cfg

DEMO = os.path.join(REPO, 'configs', 'stgcn++', 'stgcn++_demo_3dkp', 'j.py')


def test_out_and_dump_on_one_file_or_on_the_checkpoint_are_refused(tmp_path):
    ckpt = tmp_path / 'model.pkl'
    ckpt.write_bytes(b'weights')
    res = str(tmp_path / 'res.pkl')
    with pytest.raises(ValueError, match=r'--out and --dump name the same file .*res\.pkl'):
        setup_test_cfg(DEMO, out=res, dump=os.path.join(str(tmp_path), '.', 'res.pkl'))
    with pytest.raises(ValueError, match=r'--out and the checkpoint name the same file'):
        setup_test_cfg(DEMO, out=str(ckpt), checkpoint=str(ckpt))
    with pytest.raises(ValueError, match=r'--dump and the checkpoint name the same file'):
        setup_test_cfg(DEMO, dump=str(ckpt), checkpoint=str(ckpt))
    assert ckpt.read_bytes() == b'weights'
    cfg = setup_test_cfg(DEMO, out=res, dump=str(tmp_path / 'dump.pkl'), work_dir=str(tmp_path))
    assert [e['out_file_path'] for e in cfg.test_evaluator if e['type'] == 'DumpResults'] == [
        res,
        str(tmp_path / 'dump.pkl'),
    ]


def test_work_dir_that_is_a_file_is_refused(tmp_path):
    # mmengine failed with "[Errno 17] File exists", after the checkpoint was read
    afile = tmp_path / 'afile'
    afile.write_text('notes')
    with pytest.raises(ValueError, match=r'work_dir .*afile is a file, not a directory: give another --work-dir'):
        setup_test_cfg(DEMO, work_dir=str(afile))
    assert afile.read_text() == 'notes'
