"""Safe pickle loading: real malicious payloads are refused before they run; real annotations load."""

import builtins
import collections
import io
import os
import pickle
import subprocess
import types
import warnings

import numpy as np
import pytest

from pyskl.core.io import UnsafePickleError, dump_pickle, safe_load_pickle


class _Payload:
    """Unpickling this object calls ``func(*args)``."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _payloads(marker):
    return {
        'os.system': _Payload(os.system, (f'touch {marker}',)),
        'builtins.eval': _Payload(builtins.eval, (f'open({str(marker)!r}, "w").close()',)),
        'subprocess.Popen': _Payload(subprocess.Popen, (['touch', str(marker)],)),
    }


@pytest.mark.parametrize('global_name', ['os.system', 'builtins.eval', 'subprocess.Popen'])
@pytest.mark.parametrize('protocol', [2, 4, 5])
def test_malicious_pickle_refused_without_side_effect(tmp_path, annfac, global_name, protocol):
    marker = tmp_path / 'marker'
    payload = _payloads(marker)[global_name]
    # hide the payload deep inside a valid-looking annotation file
    data = annfac.make(n_train=2, n_val=1)
    data['annotations'][1]['img_shape'] = payload
    path = annfac.write(data, protocol=protocol)

    with pytest.raises(UnsafePickleError) as info:
        safe_load_pickle(path)
    message = str(info.value)
    assert path in message
    name = global_name.split('.')[1]
    assert f'.{name}' in message  # e.g. 'posix.system', 'builtins.eval', 'subprocess.Popen'
    assert not marker.exists()


def test_payload_is_real(tmp_path, annfac):
    """The payload of the refusal test does run under plain pickle (so that test can fail)."""
    marker = tmp_path / 'marker'
    path = annfac.write([_payloads(marker)['builtins.eval']])
    with open(path, 'rb') as f:
        pickle.load(f)
    assert marker.exists()


def _assert_same(a, b):
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert type(a) is type(b) and list(a) == list(b)
        for key in a:
            _assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    else:
        assert type(a) is type(b) and a == b


def _rich_annotation(annfac):
    data = annfac.make(kind='coco', n_train=3, n_val=2)
    ann = data['annotations'][0]
    ann['keypoint'] = ann['keypoint'].astype(np.float16)  # PYSKL's HRNet pickles use float16
    ann['label'] = np.int64(ann['label'])
    ann['valid'] = collections.OrderedDict([(0.5, np.int64(10)), (0.6, 8)])
    ann['box_score'] = np.float32(0.75)
    ann['extra'] = dict(
        s={1, 2},
        fs=frozenset({3}),
        c=1 + 2j,
        b=b'\x00\xffraw',
        sl=slice(1, 5),
        ba=bytearray(b'xy'),
        names=np.array(['a', 'bc']),
        big=np.arange(3, dtype=np.int64),
        flag=np.bool_(True),
        dd=collections.defaultdict(list, a=[1]),
    )
    return data


@pytest.mark.parametrize('protocol', [2, 3, 4, 5])
def test_real_annotation_loads(annfac, protocol):
    data = _rich_annotation(annfac)
    loaded = safe_load_pickle(annfac.write(data, protocol=protocol))
    _assert_same(data, loaded)
    assert loaded['annotations'][0]['keypoint'].dtype == np.float16


class _Numpy1Pickler(pickle._Pickler):
    """Pure-Python pickler that writes numpy 1.x module names (``numpy.core.*``) for the numpy
    globals, as files made with numpy 1.x have them."""

    dispatch = dict(pickle._Pickler.dispatch)
    dispatch[types.FunctionType] = lambda self, obj: self.save_global(obj)

    def save_global(self, obj, name=None):
        module = getattr(obj, '__module__', None) or ''
        if module.startswith('numpy._core'):
            module = 'numpy.core' + module[len('numpy._core') :]
            name = name or obj.__qualname__
            if self.proto >= 4:
                self.save(module)
                self.save(name)
                self.write(pickle.STACK_GLOBAL)
            else:
                self.write(pickle.GLOBAL + f'{module}\n{name}\n'.encode())
            self.memoize(obj)
            return
        super().save_global(obj, name)


@pytest.mark.parametrize('protocol', [2, 3, 4, 5])
def test_numpy1_module_names_load(annfac, protocol):
    data = _rich_annotation(annfac)
    buffer = io.BytesIO()
    _Numpy1Pickler(buffer, protocol=protocol).dump(data)
    raw = buffer.getvalue()
    assert b'numpy.core.' in raw and b'numpy._core' not in raw
    path = annfac.write(b'', name='numpy1.pkl')
    with open(path, 'wb') as f:
        f.write(raw)
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # the deprecated numpy.core alias is never imported
        loaded = safe_load_pickle(path)
    _assert_same(data, loaded)


def test_codecs_encode_only_latin1(tmp_path):
    # protocol-2 style call _codecs.encode('abc', 'rot13'): not what a bytes object needs
    path = tmp_path / 'codec.pkl'
    path.write_bytes(b'\x80\x02c_codecs\nencode\nX\x03\x00\x00\x00abcX\x05\x00\x00\x00rot13\x86R.')
    with pytest.raises(UnsafePickleError, match='latin1'):
        safe_load_pickle(path)
    path.write_bytes(b'\x80\x02c_codecs\nencode\nX\x03\x00\x00\x00abcX\x06\x00\x00\x00latin1\x86R.')
    assert safe_load_pickle(path) == b'abc'


def test_unreadable_and_missing_files(tmp_path):
    path = tmp_path / 'notes.pkl'
    path.write_text('this is not a pickle\n')
    with pytest.raises(pickle.UnpicklingError, match='notes.pkl'):
        safe_load_pickle(path)
    truncated = tmp_path / 'truncated.pkl'
    truncated.write_bytes(pickle.dumps(dict(a=np.zeros(100)), protocol=4)[:50])
    with pytest.raises(pickle.UnpicklingError, match='truncated.pkl'):
        safe_load_pickle(truncated)
    with pytest.raises(FileNotFoundError, match='missing.pkl'):
        safe_load_pickle(tmp_path / 'missing.pkl')


def test_dump_pickle_roundtrip(tmp_path, annfac):
    data = _rich_annotation(annfac)
    path = tmp_path / 'new' / 'dir' / 'out.pkl'
    dump_pickle(data, path)
    _assert_same(data, safe_load_pickle(path))
    assert sorted(os.listdir(path.parent)) == ['out.pkl']  # no temporary file left behind


def test_dump_pickle_to_a_directory_names_it(tmp_path):
    """`make-demo-data --out DIR` said "[Errno 21] Is a directory: '/x/.DIR.123.tmp' -> 'DIR'" (the temporary name)."""
    with pytest.raises(IsADirectoryError, match=f'{tmp_path} is a directory: give a file name'):
        dump_pickle([1], tmp_path)
    assert os.listdir(tmp_path) == []  # nothing written beside it


def test_shared_parts_load_and_stay_shared(tmp_path):
    # genuine files reuse objects (one img_shape tuple, one split list for two protocols): the cycle / expansion
    # check of the loader admits them and keeps the sharing
    shape = (1080, 1920)
    names = [f'S001C001P001R001A{i:03d}' for i in range(2000)]
    kp = np.zeros((1, 5, 17, 2), np.float16)
    data = dict(
        split=dict(train=names, also_train=names),
        annotations=[dict(frame_dir=n, label=0, img_shape=shape, keypoint=kp) for n in names],
    )
    path = tmp_path / 'shared.pkl'
    dump_pickle(data, path)
    loaded = safe_load_pickle(path)
    assert loaded['split']['train'] is loaded['split']['also_train']
    assert all(a['img_shape'] == shape for a in loaded['annotations'])
    assert loaded['annotations'][0]['img_shape'] is loaded['annotations'][-1]['img_shape']
