"""Export a recognizer to ONNX, check the exported file against PyTorch in ONNX Runtime, time both.

The exported graph takes one input ``skeleton`` ``(N, M, T, V, C)`` float32 (the backbone's input, i.e. what
the test pipeline's ``FormatGCNInput`` produces for one clip) and returns ``scores`` ``(N, K)``: the head's
logits, or class probabilities with ``softmax=True`` (what :func:`pyskl.apis.inference_recognizer` reports
for one clip under the default ``average_clips='prob'``). Several test clips of one sample are several rows of
the batch; average them yourself (probabilities for ``'prob'``, logits for ``'score'``).

Dynamic axes: ``N`` (``batch``), ``T`` (``frames``) and ``M`` (``persons``). A backbone whose input
BatchNorm normalises ``M * V * C`` channels (``data_bn_type='MVC'``: AAGCN, CTR-GCN, MS-G3D configs) is only
defined for ``M = num_person``, so there ``M`` stays fixed (ONNX Runtime rejects another M, as PyTorch does).
``V`` and ``C`` are always fixed by the model.

Exporter: the TorchScript-based one (``torch.onnx.export(..., dynamo=False)``): it needs neither ``onnxscript``
nor ``torch.export``'s symbolic-shape tracing, and every backbone's ops (``einsum``, ``unfold``, max-pool,
reshapes with the data's T) map to standard ONNX ops at opset >= 13.
"""

import time
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn

__all__ = [
    'DEFAULT_OPSET',
    'DEFAULT_SHAPES',
    'ScoresModel',
    'export_onnx',
    'check_onnx',
    'benchmark_onnx',
    'fixed_persons',
    'input_spec',
    'onnx_session',
    'parse_shape',
]

#: Opset written by default (verified with onnxruntime 1.32; 13 is the lowest that exports every backbone).
DEFAULT_OPSET = 17
#: ``(N, M, T)`` of the parity check: T in {50, 100, 300}, M in {1, 2} (M = num_person only for 'MVC' models).
DEFAULT_SHAPES = ((1, 1, 50), (2, 2, 100), (1, 2, 300), (2, 1, 300), (1, 2, 50), (1, 1, 100))
INPUT_NAME, OUTPUT_NAME, K_NAME = 'skeleton', 'scores', 'classes'


class ScoresModel(nn.Module):
    """``(N, M, T, V, C)`` skeletons -> ``(N, K)`` class scores of one recognizer (the exported graph).

    Args:
        recognizer: A :class:`~pyskl.models.RecognizerGCN` (e.g. from :func:`pyskl.apis.init_recognizer`).
        softmax (bool): Return probabilities (softmax over K) instead of logits.
    """

    def __init__(self, recognizer: nn.Module, softmax: bool = False):
        super().__init__()
        self.recognizer = recognizer
        self.softmax = softmax

    def forward(self, skeleton: torch.Tensor) -> torch.Tensor:
        scores = self.recognizer(skeleton, mode='tensor')
        return scores.softmax(dim=-1) if self.softmax else scores


class SliceWindows(nn.Module):
    """Export twin of :class:`pyskl.models.gcns.msg3d.UnfoldWindows`: ``(N, C, T, V) -> (N, C, T', w * V)``.

    The same values gathered with ``w`` strided slices of the padded frames instead of ``Tensor.unfold`` (which the
    TorchScript ONNX exporter refuses when T is dynamic): window ``t`` holds frames ``t * stride + j * dilation``,
    ``j < w``, exactly as ``unfold`` then ``[..., ::dilation]``. Pure indexing, so the result is bit-identical.
    """

    def __init__(self, window_size: int, window_stride: int = 1, window_dilation: int = 1):
        super().__init__()
        self.window_size = window_size
        self.window_stride = window_stride
        self.window_dilation = window_dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        span = (self.window_size - 1) * self.window_dilation + 1
        pad = (span - 1) // 2
        x = nn.functional.pad(x, (0, 0, pad, pad))
        frames = []
        for j in range(self.window_size):
            start = j * self.window_dilation
            stop = start - (span - 1)  # negative: stop before the last (span - 1 - start) padded frames
            frames.append(x[:, :, start : stop if stop else None : self.window_stride])
        x = torch.stack(frames, dim=3)  # N, C, T', w, V
        n, c, t = x.shape[:3]
        return x.reshape(n, c, t, -1)


def exportable(recognizer: nn.Module) -> nn.Module:
    """A deep copy of ``recognizer`` with export-friendly twins of the modules the ONNX exporter refuses
    (:class:`SliceWindows` for MS-G3D's ``UnfoldWindows``); stateless swaps, same state dict, same outputs."""
    import copy

    from pyskl.models.gcns.msg3d import UnfoldWindows

    model = copy.deepcopy(recognizer)
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, UnfoldWindows):
                setattr(module, name, SliceWindows(child.window_size, child.window_stride, child.window_dilation))
    return model


def fixed_persons(recognizer: nn.Module) -> Optional[int]:
    """The only M the recognizer accepts (``num_person`` of an ``'MVC'`` input BatchNorm), else None."""
    data_bn = getattr(recognizer.backbone, 'data_bn', None)
    return data_bn.num_person if getattr(data_bn, 'bn_type', None) == 'MVC' else None


def input_spec(recognizer: nn.Module) -> Tuple[Optional[int], int, int]:
    """``(M or None when dynamic, V, C)`` of the recognizer's input."""
    backbone = recognizer.backbone
    A = getattr(backbone, 'A', None)
    num_joints = A.shape[-1] if A is not None else backbone.graph.num_node
    return fixed_persons(recognizer), int(num_joints), int(backbone.in_channels)


def parse_shape(text: str) -> Tuple[int, int, int]:
    """``'N,M,T'`` (or ``'NxMxT'``) -> ``(N, M, T)`` of positive ints."""
    parts = text.replace('x', ',').split(',')
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        shape = ()
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f'a shape is N,M,T with three positive integers (e.g. 1,2,100), got {text!r}')
    return shape


def _example(shape: Tuple[int, int, int], V: int, C: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, V, C, generator=g)


def export_onnx(
    recognizer: nn.Module, out: str, opset: int = DEFAULT_OPSET, softmax: bool = False, example_frames: int = 64
) -> dict:
    """Write ``recognizer`` (in eval mode, on CPU) as an ONNX file and validate it with ``onnx.checker``.

    Args:
        recognizer: The model (e.g. ``init_recognizer(None, ckpt)``); it is moved to CPU and set to eval mode.
        out (str): ONNX file to write (its folder must exist).
        opset (int): ONNX opset version (>= 13).
        softmax (bool): Export probabilities instead of logits (see :class:`ScoresModel`).
        example_frames (int): T of the tracing input (the graph stays dynamic in T).

    Returns:
        dict: ``path``, ``opset``, ``softmax``, ``input`` (name and shape with the dynamic axes named), ``output``,
        ``num_classes``.

    Raises:
        ImportError: ``onnx`` is not installed (``pip install onnx onnxruntime`` or pyskl's ``export`` extra).
        ValueError: ``opset`` below 13.
    """
    import warnings

    import onnx

    if opset < 13:
        raise ValueError(f'opset must be >= 13 (einsum, unfold and dynamic reshapes), got {opset}')
    recognizer = recognizer.cpu().eval()
    M, V, C = input_spec(recognizer)
    wrapped = ScoresModel(exportable(recognizer), softmax).eval()
    example = _example((1, M or 2, example_frames), V, C, seed=0)
    axes = {0: 'batch', 2: 'frames'} if M else {0: 'batch', 1: 'persons', 2: 'frames'}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the TorchScript exporter's deprecation / tracer notices
        torch.onnx.export(
            wrapped,
            (example,),
            out,
            dynamo=False,
            opset_version=opset,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: axes, OUTPUT_NAME: {0: 'batch'}},
            do_constant_folding=True,
        )
        num_classes = int(wrapped(example).shape[-1])
    onnx.checker.check_model(onnx.load(out))
    return dict(
        path=out,
        opset=opset,
        softmax=softmax,
        num_classes=num_classes,
        output=(OUTPUT_NAME, ('batch', K_NAME)),
        input=(INPUT_NAME, ('batch', M if M else 'persons', 'frames', V, C)),
    )


def onnx_session(path: str, threads: Optional[int] = None):
    """An ONNX Runtime CPU session of ``path`` (``threads``: intra- and inter-op threads; None: ORT's default)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = threads
    return ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])


def _check_shapes(recognizer: nn.Module, shapes: Sequence[Tuple[int, int, int]]) -> List[Tuple[int, int, int]]:
    M = fixed_persons(recognizer)
    if M is None:
        return list(shapes)
    kept = [s for s in shapes if s[1] == M]  # the model is defined for M = num_person only
    return kept or [(s[0], M, s[2]) for s in shapes]


def check_onnx(
    recognizer: nn.Module,
    path: str,
    shapes: Sequence[Tuple[int, int, int]] = DEFAULT_SHAPES,
    softmax: bool = False,
    seed: int = 0,
    atol: float = 1e-4,
) -> List[dict]:
    """Run the ONNX file in ONNX Runtime and the recognizer in PyTorch on the same random inputs.

    Args:
        recognizer: The exported model (eval mode, CPU).
        path (str): Its ONNX file.
        shapes: ``(N, M, T)`` of the inputs; for a fixed-M model (``'MVC'``) shapes with another M are left out
            (all of them replaced by M = num_person when none fits).
        softmax (bool): Whether the file was exported with ``softmax=True``.
        seed (int): Seed of the inputs (a local generator; the global RNG is untouched).
        atol (float): Tolerance deciding ``ok``.

    Returns:
        list[dict]: per shape ``shape`` ``(N, M, T, V, C)``, ``max_abs_diff`` (float), ``max_abs_score`` (the
        largest PyTorch score, the scale the difference compares with), ``ok`` (``max_abs_diff < atol``).
    """
    recognizer = recognizer.cpu().eval()
    _, V, C = input_spec(recognizer)
    wrapped = ScoresModel(recognizer, softmax).eval()
    session = onnx_session(path)
    results = []
    for i, shape in enumerate(_check_shapes(recognizer, shapes)):
        x = _example(shape, V, C, seed + i)
        with torch.no_grad():
            expected = wrapped(x).numpy()
        got = session.run([OUTPUT_NAME], {INPUT_NAME: x.numpy()})[0]
        if got.shape != expected.shape:
            raise ValueError(
                f'{path}: ONNX Runtime returned {got.shape} for input {tuple(x.shape)}, PyTorch {expected.shape}'
            )
        diff = float(np.abs(got - expected).max())
        results.append(
            dict(shape=tuple(x.shape), max_abs_diff=diff, max_abs_score=float(np.abs(expected).max()), ok=diff < atol)
        )
    return results


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3)


def benchmark_onnx(
    recognizer: nn.Module,
    path: str,
    shape: Tuple[int, int, int] = (1, 2, 100),
    repeats: int = 10,
    threads: int = 1,
    softmax: bool = False,
) -> Dict[str, Union[float, tuple]]:
    """CPU latency of PyTorch vs ONNX Runtime on one input, measured alternately (one warm-up each).

    The two runtimes take turns ``repeats`` times, so a load change on a shared machine hits both alike.
    ``threads`` sets ``torch.set_num_threads`` (restored afterwards) and ORT's intra/inter-op threads.

    Returns:
        dict: ``shape`` ``(N, M, T, V, C)``, ``torch_ms`` and ``onnx_ms`` (medians), ``speedup``
        (``torch_ms / onnx_ms``, > 1 when ONNX Runtime is faster), ``threads``.
    """
    recognizer = recognizer.cpu().eval()
    _, V, C = input_spec(recognizer)
    shape = _check_shapes(recognizer, [shape])[0]
    x = _example(shape, V, C, seed=0)
    wrapped = ScoresModel(recognizer, softmax).eval()
    session = onnx_session(path, threads)
    feed = {INPUT_NAME: x.numpy()}
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.no_grad():
            wrapped(x)
            session.run([OUTPUT_NAME], feed)
            t_torch, t_onnx = [], []
            for _ in range(repeats):
                t_torch.append(_median_ms(lambda: wrapped(x), 1))
                t_onnx.append(_median_ms(lambda: session.run([OUTPUT_NAME], feed), 1))
    finally:
        torch.set_num_threads(previous)
    torch_ms, onnx_ms = float(np.median(t_torch)), float(np.median(t_onnx))
    return dict(shape=tuple(x.shape), torch_ms=torch_ms, onnx_ms=onnx_ms, speedup=torch_ms / onnx_ms, threads=threads)
