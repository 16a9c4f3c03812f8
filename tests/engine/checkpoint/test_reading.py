import os
import pickle
import re
from collections import OrderedDict

import numpy as np
import pytest
import torch

import pyskl.models  # noqa: F401
from pyskl.registry import MODELS
from pyskl.engine.checkpoint import LoadError, load_checkpoint, load_checkpoint_file

CFG = dict(
    type='RecognizerGCN',
    backbone=dict(
        type='STGCN',
        base_channels=8,
        num_stages=3,
        inflate_stages=(2,),
        down_stages=(2,),
        graph_cfg=dict(layout='coco', mode='spatial'),
    ),
    cls_head=dict(type='GCNHead', num_classes=5, in_channels=16),
)


def build():
    return MODELS.build(CFG)


def random_state(model):
    g = torch.Generator().manual_seed(1)
    return OrderedDict(
        (k, torch.randn(v.shape, generator=g) if v.is_floating_point() else v.clone())
        for k, v in model.state_dict().items()
    )


def test_pyskl_file_with_numpy_meta(tmp_path):
    """mmcv 1.x checkpoints carry numpy scalars / arrays in meta (e.g. hook_msgs.best_score)."""
    sd = random_state(build())
    path = tmp_path / 'pyskl.pth'
    torch.save(
        dict(
            meta=dict(
                epoch=16,
                iter=1000,
                mmcv_version='1.5.0',
                time='Mon',
                hook_msgs=dict(
                    best_score=np.float64(0.91), best_ckpt='best.pth', history=np.arange(3, dtype=np.float32)
                ),
            ),
            state_dict=sd,
            optimizer=dict(state={}, param_groups=[dict(lr=0.1)]),
        ),
        path,
    )
    model = build()
    ckpt = load_checkpoint(model, str(path))
    assert ckpt['meta']['hook_msgs']['best_score'] == pytest.approx(0.91)
    for k, v in model.state_dict().items():
        assert torch.equal(v, sd[k]), k


def test_mmaction_file_with_message_hub_and_fc_names(tmp_path):
    from mmengine.logging import HistoryBuffer

    sd = random_state(build())
    mma = OrderedDict((k.replace('cls_head.fc_cls.', 'cls_head.fc.'), v) for k, v in sd.items())
    buf = HistoryBuffer()
    buf.update(0.5)
    buf.update(0.25)
    path = tmp_path / 'mma.pth'
    torch.save(
        dict(
            meta=dict(epoch=80, seed=np.int64(0), mmengine_version='0.10.1'),
            state_dict=mma,
            message_hub=dict(log_scalars={'train/loss': buf}, runtime_info=dict(iter=3), resumed_keys=dict(iter=True)),
        ),
        path,
    )
    model = build()
    ckpt = load_checkpoint(model, str(path))
    assert isinstance(ckpt['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    torch.testing.assert_close(model.cls_head.fc_cls.weight, sd['cls_head.fc_cls.weight'])


def test_ddp_prefix_is_stripped(tmp_path):
    sd = random_state(build())
    path = tmp_path / 'ddp.pth'
    torch.save({'state_dict': OrderedDict(('module.' + k, v) for k, v in sd.items())}, path)
    model = build()
    load_checkpoint(model, str(path))
    torch.testing.assert_close(model.backbone.data_bn.weight, sd['backbone.data_bn.weight'])


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


def test_code_executing_checkpoint_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': random_state(build()), 'meta': {'x': _Exploit(marker)}}, path)
    with pytest.raises(pickle.UnpicklingError, match='system'):
        load_checkpoint_file(str(path))
    assert not marker.exists()


def test_unknown_layout_lists_missing_and_unexpected(tmp_path):
    sd = random_state(build())
    sd['backbone.extra.weight'] = torch.zeros(3)
    del sd['cls_head.fc_cls.bias']
    path = tmp_path / 'odd.pth'
    torch.save({'state_dict': sd}, path)
    with pytest.raises(RuntimeError) as err:
        load_checkpoint(build(), str(path))
    msg = str(err.value)
    assert 'missing in checkpoint (1): cls_head.fc_cls.bias' in msg
    assert 'unexpected in checkpoint (1): backbone.extra.weight' in msg
    assert str(path) in msg
    with pytest.raises(FileNotFoundError):
        load_checkpoint(build(), str(tmp_path / 'nope.pth'))


class _SneakyGetattr:
    def __reduce__(self):
        from mmengine.logging import HistoryBuffer

        return (getattr, (HistoryBuffer, '__init__'))


def test_getattr_only_for_history_buffer_statistics(tmp_path):
    path = tmp_path / 'sneaky.pth'
    torch.save({'state_dict': random_state(build()), 'x': _SneakyGetattr()}, path)
    with pytest.raises(pickle.UnpicklingError, match='refused getattr'):
        load_checkpoint_file(str(path))


def test_non_strict_loads_matching_keys_and_skips_mismatched(tmp_path):
    """strict=False: tensors with the model's shape load, a shape mismatch and unknown keys are skipped."""
    sd = random_state(build())
    sd['cls_head.fc_cls.weight'] = torch.zeros(7, 16)  # 7 classes instead of 5: skipped
    sd['backbone.extra.weight'] = torch.zeros(3)
    path = tmp_path / 'partial.pth'
    torch.save({'state_dict': sd}, path)
    model = build()
    head_before = model.cls_head.fc_cls.weight.clone()
    load_checkpoint(model, str(path), strict=False)
    assert torch.equal(model.cls_head.fc_cls.weight, head_before)
    torch.testing.assert_close(model.backbone.data_bn.weight, sd['backbone.data_bn.weight'])
    torch.testing.assert_close(model.cls_head.fc_cls.bias, sd['cls_head.fc_cls.bias'])


def _injecting_buffer():
    """A HistoryBuffer whose pickled state registers ``evil`` and rebinds ``mean`` class-wide."""
    from mmengine.logging import HistoryBuffer

    buf = HistoryBuffer()
    state = dict(
        max_length=10,
        _log_history=np.array([2.0]),
        _count_history=np.array([1]),
        statistics_methods={'evil': HistoryBuffer.min, 'mean': HistoryBuffer.max},
    )
    buf.__getstate__ = lambda: state  # what pickle asks the instance for
    return buf


def test_history_buffer_state_cannot_change_the_class(tmp_path):
    """mmengine's HistoryBuffer.__setstate__ writes ``statistics_methods`` into the class-wide registry; the
    loader keeps instance data only."""
    from mmengine.logging import HistoryBuffer

    HistoryBuffer()  # registers the defaults
    before = dict(HistoryBuffer._statistics_methods)
    path = tmp_path / 'hub.pth'
    torch.save(
        {
            'state_dict': random_state(build()),
            'message_hub': dict(log_scalars={'loss': _injecting_buffer()}, runtime_info={}, resumed_keys={}),
        },
        path,
    )
    try:
        loaded = load_checkpoint_file(str(path))['message_hub']['log_scalars']['loss']
        assert isinstance(loaded, HistoryBuffer) and loaded.mean() == 2.0
        assert HistoryBuffer._statistics_methods == before
        assert 'statistics_methods' not in vars(loaded)
    finally:
        HistoryBuffer._statistics_methods.clear()
        HistoryBuffer._statistics_methods.update(before)


def test_errors_name_the_file_and_the_problem(tmp_path):
    from pyskl.core.io import FileFormatError, LoadLimitError

    for data, words in [(b'', 'empty file'), (b'lr = 0.1\n', 'text file'), (pickle.dumps([1]), 'a pickle')]:
        path = tmp_path / 'x.pth'
        path.write_bytes(data)
        with pytest.raises(FileFormatError, match=f'^{path}: .*{words}'):
            load_checkpoint_file(str(path))
    path = tmp_path / 'nested.pth'
    value = []
    for _ in range(150):
        value = [value]
    torch.save({'state_dict': random_state(build()), 'x': value}, path)
    with pytest.raises(LoadLimitError, match=f'^{path}: too deep'):
        load_checkpoint_file(str(path))
    path = tmp_path / 'nothing.pth'
    torch.save({'meta': {'epoch': 1}}, path)
    with pytest.raises(FileFormatError, match=f'^{path}: no state dict'):
        load_checkpoint(build(), str(path))


def test_memory_budget_counts_numpy_data(tmp_path, monkeypatch):
    from pyskl.core.io import LoadLimitError

    path = tmp_path / 'big.pth'
    torch.save({'state_dict': random_state(build()), 'meta': {'a': np.zeros(1 << 20)}}, path)
    load_checkpoint_file(str(path))  # 8 MiB of numpy data in the file itself: fine
    monkeypatch.setenv('PYSKL_MAX_LOAD_BYTES', '0')
    load_checkpoint_file(str(path))  # within 4 x the file size
    from pyskl.core import unpickle_guard

    monkeypatch.setattr(unpickle_guard, 'SIZE_FACTOR', 0)
    with pytest.raises(LoadLimitError, match=f'^{path}: too large'):
        load_checkpoint_file(str(path))


def test_init_cfg_pretrained_uses_the_safe_loader_and_refuses_other_architectures(tmp_path):
    """``init_cfg=dict(type='Pretrained')`` in the pyskl scope: pyskl's loader (numpy meta loads, which plain
    weights_only torch.load refuses) and the partial-load check."""
    from pyskl.registry import register_all_modules

    register_all_modules()
    sd = random_state(build())
    good, other = tmp_path / 'good.pth', tmp_path / 'other.pth'
    torch.save({'state_dict': sd, 'meta': {'best': np.float64(0.5)}}, good)
    torch.save({'state_dict': {'x.weight': torch.zeros(3)}}, other)
    model = MODELS.build(dict(CFG, init_cfg=dict(type='Pretrained', checkpoint=str(good))))
    model.init_weights()
    torch.testing.assert_close(model.cls_head.fc_cls.weight, sd['cls_head.fc_cls.weight'])
    model = MODELS.build(dict(CFG, init_cfg=dict(type='Pretrained', checkpoint=str(other))))
    with pytest.raises(RuntimeError, match=f'^{other}: init_cfg Pretrained would load only 0.0%.*allow_partial'):
        model.init_weights()
    MODELS.build(dict(CFG, init_cfg=dict(type='Pretrained', checkpoint=str(other), allow_partial=True))).init_weights()


def test_non_finite_weights_are_named_in_a_warning(tmp_path):
    """A checkpoint of a diverged run loads (to be inspected), with a warning naming the file and the tensors."""
    sd = random_state(build())
    sd['backbone.data_bn.weight'][3] = float('nan')
    sd['cls_head.fc_cls.bias'][:] = float('inf')
    path = tmp_path / 'diverged.pth'
    torch.save({'state_dict': sd}, path)
    with pytest.warns(
        UserWarning,
        match=r'diverged.pth: 2 weight tensor\(s\) hold NaN/Inf: backbone.data_bn.weight '
        r'\(1 values\), cls_head.fc_cls.bias \(5 values\)',
    ):
        load_checkpoint(build(), str(path))
    torch.save({'state_dict': random_state(build())}, path)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter('error')  # finite weights: no warning
        load_checkpoint(build(), str(path))


@pytest.mark.parametrize(
    'tensor, words',
    [
        # 8 bytes in the file, 128 GiB on the first copy (message_hub history, optimizer momentum, a weight)
        (lambda: torch.zeros(1, dtype=torch.float64).expand(2**34), 'expanded / overlapping view'),
        (lambda: torch.zeros(10, 32).to_sparse(), 'layout torch.sparse_coo'),
        (lambda: torch.zeros(10, 32, device='meta'), 'without data (device meta'),
    ],
)
def test_tensors_a_checkpoint_never_holds_are_refused(tmp_path, tensor, words):
    path = tmp_path / 'forged.pth'
    torch.save({'state_dict': {'w': torch.zeros(3)}, 'message_hub': {'log_scalars': {'train/lr': tensor()}}}, path)
    with pytest.raises(LoadError, match=re.escape(f'{path}: holds a tensor') + '.*' + re.escape(words)):
        load_checkpoint_file(str(path))
    small = tmp_path / 'expanded_small.pth'  # a small expanded view (1 KiB) is kept as it is
    torch.save({'state_dict': {'w': torch.zeros(1).expand(256)}}, small)
    assert load_checkpoint_file(str(small))['state_dict']['w'].shape == (256,)


@pytest.mark.parametrize('value', [1, 'w', [1.0, 2.0], np.zeros(3, np.float32)])
def test_a_state_dict_entry_that_is_not_a_tensor_is_named(tmp_path, value):
    # it was dropped and then reported as a missing weight
    from pyskl.engine.checkpoint import get_state_dict

    path = tmp_path / 'odd.pth'
    torch.save({'state_dict': {'a.weight': torch.zeros(3), 'head.weight': value}, 'meta': {}}, path)
    with pytest.raises(LoadError, match=re.escape(f"{path}: state_dict['head.weight'] is a {type(value).__name__}")):
        get_state_dict(load_checkpoint_file(str(path)), str(path))


def test_damaged_checkpoints_are_errors_not_garbage_weights(tmp_path):
    """A byte changed in a tensor (a damaged copy or download) loaded silently as different weights; a damaged
    local header or data.pkl was a zipfile.BadZipFile traceback. Every entry's CRC-32 is checked (entries of a
    writer that stores none, torch's compute_crc32=False, are read as they are)."""
    import zipfile

    from pyskl.core.io import FileFormatError

    path = tmp_path / 'good.pth'
    torch.save({'state_dict': random_state(build())}, path)
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    tensor = max(infos, key=lambda i: i.file_size)  # the largest weight tensor
    start = tensor.header_offset + 30 + len(tensor.filename.encode()) + len(tensor.extra)
    pkl = next(i for i in infos if i.filename.endswith('data.pkl'))
    for name, offset in [
        ('in_tensor', start + tensor.file_size // 2),  # inside the largest tensor's bytes
        ('header', pkl.header_offset + 1),  # the local header's magic number of data.pkl
    ]:
        damaged = bytearray(data)
        damaged[offset] ^= 0x40
        bad = tmp_path / f'{name}.pth'
        bad.write_bytes(bytes(damaged))
        with pytest.raises(FileFormatError, match=f'^{bad}: .*(corrupt|damaged)'):
            load_checkpoint_file(str(bad))
    assert load_checkpoint_file(str(path))['state_dict'].keys() == random_state(build()).keys()
    # a central-directory entry needing an unknown zip version: zipfile's NotImplementedError was a traceback
    central = data.index(b'PK\x01\x02')
    bad = tmp_path / 'version.pth'
    bad.write_bytes(data[: central + 6] + bytes([86, 0]) + data[central + 8 :])
    with pytest.raises(FileFormatError, match=f'^{bad}: .*corrupt zip archive .*NotImplementedError'):
        load_checkpoint_file(str(bad))

    import torch.utils.serialization as serialization

    saved = serialization.config.save.compute_crc32
    serialization.config.save.compute_crc32 = False
    try:
        torch.save({'state_dict': random_state(build())}, tmp_path / 'nocrc.pth')
    finally:
        serialization.config.save.compute_crc32 = saved
    with zipfile.ZipFile(tmp_path / 'nocrc.pth') as archive:
        assert {i.CRC for i in archive.infolist() if i.file_size} == {0}
    load_checkpoint_file(str(tmp_path / 'nocrc.pth'))
