import numpy as np
import pytest
import torch

from pyskl.apis import inference_recognizer, init_recognizer
from pyskl.datasets.synthetic import make_demo_data


@pytest.fixture(scope='module')
def sample():
    data = make_demo_data(num_subjects=2, samples_per_class_per_subject=1, seed=0)
    return data['annotations'][0]


def test_init_recognizer_eval_mode_and_checkpoint_roundtrip(repo_root, tmp_path):
    cfg = f'{repo_root}/configs/stgcn++/stgcn++_demo_3dkp/j.py'
    model = init_recognizer(cfg)
    assert not model.training and model.cfg.model.cls_head.num_classes == 10
    torch.save({'state_dict': model.state_dict()}, tmp_path / 'm.pth')
    again = init_recognizer(cfg, str(tmp_path / 'm.pth'))
    for (k, a), b in zip(model.state_dict().items(), again.state_dict().values()):
        assert torch.equal(a, b), k


def test_inference_recognizer_topk(repo_root, sample):
    torch.manual_seed(0)
    model = init_recognizer(f'{repo_root}/configs/stgcn++/stgcn++_demo_3dkp/j.py')
    ann = {k: v for k, v in sample.items() if k != 'label'}
    before = ann['keypoint'].copy()
    top = inference_recognizer(model, ann, topk=3)
    assert len(top) == 3
    labels, scores, names = zip(*top)
    assert names == tuple(model.classes[i] for i in labels)  # the demo config's label map
    assert all(0 <= lab < 10 for lab in labels) and len(set(labels)) == 3
    assert list(scores) == sorted(scores, reverse=True)
    assert 0 < sum(scores) <= 1 + 1e-6  # clip-averaged probabilities
    np.testing.assert_array_equal(ann['keypoint'], before)  # the caller's data is not modified
    assert inference_recognizer(model, ann, topk=3) == top  # test-mode sampling is deterministic


def test_init_recognizer_from_a_config_object_resolves_like_a_path(repo_root):
    """A Config object gets the same resolution as a path (feats, layout and num_classes from the dataset)."""
    from mmengine.config import Config

    path = f'{repo_root}/configs/stgcn/stgcn_pyskl_ntu120_xset_3dkp/b.py'
    from_obj = init_recognizer(Config.fromfile(path), cfg_options={'model.backbone.base_channels': 8})
    from_path = init_recognizer(path, cfg_options={'model.backbone.base_channels': 8})
    assert from_obj.cfg.model == from_path.cfg.model
    assert from_obj.cls_head.num_classes == 120 and from_obj.backbone.graph.num_node == 25
    assert from_obj.cfg.feats == ['b']


@pytest.mark.parametrize(
    'device', ['banana', 'cuda:x', 'mps', 'cuda:99'] + ([] if torch.cuda.is_available() else ['cuda'])
)
def test_a_bad_device_is_a_clear_error_before_anything_is_built(device, repo_root):
    """`pyskl predict --device banana` was a RuntimeError traceback, `--device cuda` without a GPU an AssertionError
    from torch's lazy CUDA init."""
    from pyskl.apis.inference import check_device

    with pytest.raises(ValueError, match=rf'device {device!r}'):
        init_recognizer(f'{repo_root}/configs/stgcn++/stgcn++_demo_3dkp/j.py', device=device)
    assert check_device('cpu') == 'cpu'


def test_coco_new_model_reads_the_stored_coco17_joints(repo_root):
    """ProtoGCN's 2D models run on 'coco_new' (20 joints) but their data is stored as COCO-17 (the pipeline's
    Kinetics_Transform adds three): inference and predict take 17 joints and refuse 20 (it had been the reverse)."""
    from pyskl.apis.predict import from_array

    model = init_recognizer(f'{repo_root}/configs/protogcn/finegym_hrnet/j.py')
    rng = np.random.default_rng(0)
    ann = dict(
        frame_dir='clip',
        total_frames=30,
        keypoint=rng.uniform(100, 900, (1, 30, 17, 2)).astype(np.float32),
        keypoint_score=rng.uniform(0.3, 1, (1, 30, 17)).astype(np.float32),
        img_shape=(1080, 1920),
    )
    top = inference_recognizer(model, ann, topk=2)
    assert len(top) == 2 and all(0 <= t.label < 99 for t in top)
    wrong = dict(ann, keypoint=np.zeros((1, 30, 20, 2), np.float32), keypoint_score=np.ones((1, 30, 20), np.float32))
    with pytest.raises(ValueError, match="V=20 joints but the model's layout 'coco_new' reads 17"):
        inference_recognizer(model, wrong)
    assert from_array(np.ones((1, 30, 17, 3), np.float32), layout='coco_new')['keypoint'].shape[2] == 17
    with pytest.raises(ValueError, match='V=20'):
        from_array(np.ones((1, 30, 20, 3), np.float32), layout='coco_new')
