"""demo/demo_skeleton.py end to end on the real NTU clip with a tiny 2D ST-GCN++ (needs the `pose` extra)."""

import importlib.util
import os.path as osp
import subprocess
import sys

import decord
import numpy as np
import pytest
import torch
from repo_paths import REPO, VIDEO

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec('mediapipe') is None,
    reason="SKIPPED: the 'pose' extra (mediapipe) is not installed in this environment; "
    'CI runs these tests in .venv-pose (bash tools/setup_env.sh tests,pose)',
)

# A tiny, self-contained 2D COCO-17 ST-GCN++ (5 classes), no dataset needed for inference.
TINY_2D_CONFIG = """
default_scope = 'pyskl'
feats = ['j']
kp_channels = 3
test_pipeline = [
    dict(type='PreNormalize2D'),
    dict(type='GenSkeFeat', dataset='coco', feats=feats),
    dict(type='UniformSampleFrames', clip_len=16, num_clips=2),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackSkeletonInputs'),
]
model = dict(
    type='RecognizerGCN',
    backbone=dict(type='STGCN', gcn_adaptive='init', gcn_with_res=True, tcn_type='mstcn', base_channels=6,
                  graph_cfg=dict(layout='coco', mode='spatial')),
    cls_head=dict(type='GCNHead', num_classes=5, in_channels=24))
"""


def test_demo_end_to_end(tmp_path):
    from pyskl.apis.inference import inference_recognizer, init_recognizer
    from pyskl.core.io import safe_load_pickle

    cfg = tmp_path / 'tiny_2d.py'
    cfg.write_text(TINY_2D_CONFIG)
    model = init_recognizer(str(cfg))
    ckpt = tmp_path / 'tiny.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    labels = tmp_path / 'labels.txt'
    labels.write_text('wave\nclap\njump\nsit down\nkick\n')

    out = tmp_path / 'demo.mp4'
    proc = subprocess.run(
        [
            sys.executable,
            osp.join(REPO, 'demo', 'demo_skeleton.py'),
            VIDEO,
            str(out),
            '--config',
            str(cfg),
            '--checkpoint',
            str(ckpt),
            '--label-map',
            str(labels),
            '--short-side',
            '240',
            '--out-pose',
            str(tmp_path / 'pose.pkl'),
            '--label',
            '3',
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    tops = [ln.split()[1:3] for ln in proc.stdout.splitlines() if ln.startswith('top: ')]
    assert len(tops) == 5

    # the printed top-5 is the recognizer's answer on the extracted poses
    ann = safe_load_pickle(tmp_path / 'pose.pkl')['annotations'][0]
    assert ann['keypoint'].shape == (1, 72, 17, 2) and (ann['keypoint_score'] > 0).any(-1).mean() > 0.9
    assert ann['label'] == 3
    expected = inference_recognizer(init_recognizer(str(cfg), str(ckpt)), ann, topk=5)
    names = labels.read_text().split('\n')
    assert [int(t[0]) for t in tops] == [p.label for p in expected]
    assert [t[1] for t in tops] == [names[p.label].split()[0] for p in expected]

    vr = decord.VideoReader(str(out))
    assert len(vr) == 72 and vr[0].shape == (240, 426, 3)
    # top-5 text box (top-left) and skeleton overlay change the picture; elsewhere it is the video
    src = decord.VideoReader(VIDEO, width=426, height=240)[36].asnumpy().astype(int)
    frame = vr[36].asnumpy().astype(int)
    assert np.abs(frame[10:60, 10:120] - src[10:60, 10:120]).mean() > 20
    assert np.median(np.abs(frame - src)) < 20
