"""NTU RGB+D raw skeletons (Kinect ``.skeleton`` text files) -> PYSKL annotation dicts.

File format (one value group per line)::

    <num_frames>
    per frame:  <num_bodies>
      per body: bodyID clippedEdges handLeftConfidence handLeftState handRightConfidence
                handRightState isRestricted leanX leanY trackingState
                <num_joints>  (25)
                per joint: x y z depthX depthY colorX colorY orientationW orientationX
                           orientationY orientationZ trackingState

Only the camera-space ``x y z`` (metres) are kept. Multi-body files are denoised as in PYSKL's
``ntu_preproc`` (itself following the SGN preprocessing): frames without any body are dropped;
if the file has several body IDs, tracks of ``<= 11`` frames are dropped, then tracks whose frames
are mostly "spread" noise (x-extent > 0.8 * y-extent in >= 69.754% of their frames) are dropped,
and the remaining tracks, most active (largest joint variance) first, are packed into two actor
slots by non-overlapping frame intervals; finally frames where both actors are empty are removed.
A sample name ``SsssCcccPpppRrrrAaaa`` gives setup, camera, performer (subject), replication and
action (label = action - 1).
"""

import os
import os.path as osp
import re
from typing import Dict, Iterable, List, Optional, Set, Tuple

import numpy as np

from pyskl.core.fileio import check_regular_file
from pyskl.core.layout import get_layout

__all__ = [
    'NTU60_XSUB_TRAIN',
    'NTU120_XSUB_TRAIN',
    'XVIEW_TRAIN_CAMERAS',
    'DEFAULT_MISSING_LIST',
    'parse_ntu_name',
    'read_skeleton_file',
    'denoise_bodies',
    'bodies_to_keypoint',
    'skeleton_to_annotation',
    'load_missing_list',
    'ntu_splits',
    'NoBodyError',
]

NUM_JOINTS = get_layout('nturgb+d').num_node  # Kinect v2's 25 joints
#: Largest .skeleton file read (NTU's largest are a few MB: 300 frames x 2 bodies x 27 lines).
MAX_SKELETON_BYTES = 1 << 28

#: Training subjects (performers) of the cross-subject benchmarks.
NTU60_XSUB_TRAIN = (1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38)
NTU120_XSUB_TRAIN = NTU60_XSUB_TRAIN + (
    45,
    46,
    47,
    49,
    50,
    52,
    53,
    54,
    55,
    56,
    57,
    58,
    59,
    70,
    74,
    78,
    80,
    81,
    82,
    83,
    84,
    85,
    86,
    89,
    91,
    92,
    93,
    94,
    95,
    97,
    98,
    100,
    103,
)
#: Training cameras of NTU60 cross-view (camera 1 is the validation view).
XVIEW_TRAIN_CAMERAS = (2, 3)
# cross-setup (NTU120): even setup ids train, odd ones validate

#: The official lists of samples with missing or incomplete skeletons (NTU60: 302 names,
#: S001-S017; NTU120: 535 names in all, the 302 included), one name per line.
DEFAULT_MISSING_LIST = osp.join(osp.dirname(osp.abspath(__file__)), 'data', 'ntu_samples_with_missing_skeletons.txt')

# denoising thresholds of PYSKL / SGN
NOISE_LEN_THR = 11
NOISE_SPREAD_THR1 = 0.8
NOISE_SPREAD_THR2 = 0.69754

_COUNT_RE = re.compile(r'^[0-9]{1,9}$')
_NAME_RE = re.compile(r'^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})$')


class NoBodyError(ValueError):
    """The file holds no usable body (no body in any frame, or none left after denoising)."""


def parse_ntu_name(name: str) -> Dict[str, int]:
    """``'S001C002P003R002A013'`` -> ``dict(setup=1, camera=2, subject=3, replication=2, action=13)``."""
    m = _NAME_RE.match(name)
    if m is None:
        raise ValueError(f'{name!r} is not an NTU RGB+D sample name (SsssCcccPpppRrrrAaaa)')
    return dict(zip(('setup', 'camera', 'subject', 'replication', 'action'), map(int, m.groups())))


def read_skeleton_file(path: str) -> Tuple[Dict[str, dict], int]:
    """Parse one ``.skeleton`` file.

    Returns:
        tuple: ``(bodies, num_frames)``. ``bodies`` maps bodyID (str, file order) to
        ``dict(joints=float32 (n, 25, 3), frames=int64 (n,))``: the body's ``x y z`` in the ``n``
        frames where it appears, indexed among the frames that have at least one body;
        ``num_frames`` is the number of such frames.

    Raises:
        ValueError: naming the file and line when the text does not follow the format.
    """
    check_regular_file(path, '.skeleton file', MAX_SKELETON_BYTES)
    try:
        with open(path, encoding='utf-8') as f:  # the official files are ASCII text
            lines = f.read().split('\n')
    except UnicodeDecodeError as e:
        raise ValueError(f'{path}: not a text .skeleton file ({e})') from None
    pos = 0

    def next_line() -> List[str]:
        nonlocal pos
        if pos >= len(lines):
            raise ValueError(f'{path}: unexpected end of file after line {pos}')
        fields = lines[pos].split()
        pos += 1
        return fields

    def read_int(what):
        fields = next_line()
        if len(fields) != 1 or not _COUNT_RE.match(fields[0]):  # ASCII digits ('²' and '--5' are not ints)
            raise ValueError(
                f'{path}: line {pos}: expected the {what} (one non-negative int), got {" ".join(fields)!r}'
            )
        return int(fields[0])

    num_raw_frames = read_int('frame count')
    joints_of: Dict[str, List[np.ndarray]] = {}
    frames_of: Dict[str, List[int]] = {}
    valid = 0
    for _ in range(num_raw_frames):
        num_bodies = read_int('body count')
        if num_bodies == 0:
            continue
        for _ in range(num_bodies):
            info = next_line()
            if len(info) != 10:
                raise ValueError(f'{path}: line {pos}: expected the 10 body values, got {len(info)}')
            body_id = info[0]
            num_joints = read_int('joint count')
            if num_joints != NUM_JOINTS:
                raise ValueError(f'{path}: line {pos}: expected {NUM_JOINTS} joints, got {num_joints}')
            xyz = np.empty((NUM_JOINTS, 3), dtype=np.float32)
            for j in range(NUM_JOINTS):
                fields = next_line()
                if len(fields) != 12:
                    raise ValueError(f'{path}: line {pos}: expected the 12 joint values, got {len(fields)}')
                try:
                    xyz[j] = [float(v) for v in fields[:3]]
                except ValueError:
                    raise ValueError(f'{path}: line {pos}: joint coordinates are not numbers: {fields[:3]}')
                if not np.isfinite(xyz[j]).all():  # 'nan', 'inf' and values beyond float32 parse as numbers
                    raise ValueError(f'{path}: line {pos}: joint coordinates are not finite: {fields[:3]}')
            joints_of.setdefault(body_id, []).append(xyz)
            frames_of.setdefault(body_id, []).append(valid)
        valid += 1
    if any(ln.strip() for ln in lines[pos:]):
        raise ValueError(f'{path}: line {pos + 1}: unexpected data after the {num_raw_frames} frames')
    bodies = {
        b: dict(joints=np.stack(joints_of[b]), frames=np.asarray(frames_of[b], dtype=np.int64)) for b in joints_of
    }
    return bodies, valid


def _motion(joints: np.ndarray) -> float:
    """Sum over x, y, z of the variance of all joint positions ``(n, 25, 3)``."""
    return float(np.sum(np.var(joints.reshape(-1, 3), axis=0)))


def denoise_bodies(bodies: Dict[str, dict]) -> List[dict]:
    """PYSKL's multi-body denoising; returns the kept bodies, most active first.

    A single body is returned as it is. With several: drop tracks of ``<= 11`` frames; then (while
    more than one is left) drop a track if the share of its frames whose x-extent exceeds 0.8 times
    the y-extent is ``>= 0.69754``, otherwise lower its motion to that of its valid frames when
    smaller; order by motion, largest first.
    """
    if len(bodies) <= 1:
        return list(bodies.values())
    kept = {b: dict(d, motion=_motion(d['joints'])) for b, d in bodies.items() if len(d['frames']) > NOISE_LEN_THR}
    for b in list(kept):
        if len(kept) <= 1:
            break
        joints = kept[b]['joints']
        extent = joints.max(axis=1) - joints.min(axis=1)  # (n, 3)
        valid = extent[:, 0] <= NOISE_SPREAD_THR1 * extent[:, 1]
        num_noise = int((~valid).sum())
        if num_noise == 0:
            continue
        if num_noise / len(valid) >= NOISE_SPREAD_THR2:
            del kept[b]
        else:
            kept[b]['motion'] = min(kept[b]['motion'], _motion(joints[valid]))
    return sorted(kept.values(), key=lambda d: d['motion'], reverse=True)


def bodies_to_keypoint(bodies: List[dict], num_frames: int) -> np.ndarray:
    """Pack denoised bodies (most active first) into ``keypoint`` float32 ``(M, T, 25, 3)``.

    One body gives ``M = 1``. Otherwise the first body takes actor slot 1 and every following body
    goes to slot 1 if its frame interval does not overlap slot 1's, else to slot 2 if it does not
    overlap slot 2's (whose interval, as in PYSKL, always starts at frame 0), else it is dropped.
    Frames where every slot is empty are removed.

    Raises:
        NoBodyError: no body, or every frame empty (all-zero joints).
    """
    if not bodies:
        raise NoBodyError('no body left after denoising')
    if len(bodies) == 1:
        out = np.zeros((1, num_frames, NUM_JOINTS, 3), dtype=np.float32)
        out[0, bodies[0]['frames']] = bodies[0]['joints']
    else:
        out = np.zeros((2, num_frames, NUM_JOINTS, 3), dtype=np.float32)
        first = bodies[0]
        out[0, first['frames']] = first['joints']
        start1, end1 = int(first['frames'][0]), int(first['frames'][-1])
        start2, end2 = 0, 0
        for body in bodies[1:]:
            start, end = int(body['frames'][0]), int(body['frames'][-1])
            if min(end1, end) - max(start1, start) <= 0:
                out[0, body['frames']] = body['joints']
                start1, end1 = min(start, start1), max(end, end1)
            elif min(end2, end) - max(start2, start) <= 0:
                out[1, body['frames']] = body['joints']
                start2, end2 = min(start, start2), max(end, end2)
    present = np.any(out != 0, axis=(0, 2, 3))
    if not present.any():
        raise NoBodyError('every kept body is all-zero in every frame')
    return np.ascontiguousarray(out[:, present])


def skeleton_to_annotation(path: str) -> dict:
    """One ``.skeleton`` file -> ``dict(frame_dir, label, keypoint (M, T, 25, 3) float32, total_frames)``.

    Raises:
        NoBodyError: the file has no body in any frame, or none survives denoising.
        ValueError: a malformed file or name (the message names the file).
    """
    name = osp.basename(path)
    if name.endswith('.skeleton'):
        name = name[: -len('.skeleton')]
    meta = parse_ntu_name(name)
    bodies, num_frames = read_skeleton_file(path)
    if not bodies:
        raise NoBodyError(f'{path}: no body in any frame')
    try:
        keypoint = bodies_to_keypoint(denoise_bodies(bodies), num_frames)
    except NoBodyError as e:
        raise NoBodyError(f'{path}: {e}') from None
    return dict(frame_dir=name, label=meta['action'] - 1, keypoint=keypoint, total_frames=int(keypoint.shape[1]))


def load_missing_list(path: Optional[str] = DEFAULT_MISSING_LIST) -> Set[str]:
    """Sample names listed in ``path`` (one per line, ``#`` comments and blank lines ignored);
    ``None`` -> empty set."""
    if path is None:
        return set()
    names = set()
    check_regular_file(path, 'missing-skeleton list', 1 << 24)
    with open(path, encoding='utf-8', errors='replace') as f:  # a non-UTF-8 byte then fails as a bad name
        for i, line in enumerate(f, 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            if _NAME_RE.match(line) is None:
                raise ValueError(f'{path}: line {i}: {line!r} is not an NTU sample name')
            names.add(line)
    return names


def ntu_splits(names: Iterable[str], benchmark: str) -> Dict[str, List[str]]:
    """The official splits of ``names``.

    Args:
        benchmark: ``'ntu60'`` -> ``xsub_train/xsub_val`` (subjects :data:`NTU60_XSUB_TRAIN`) and
            ``xview_train/xview_val`` (cameras 2, 3 train); ``'ntu120'`` -> ``xsub_train/xsub_val``
            (:data:`NTU120_XSUB_TRAIN`) and ``xset_train/xset_val`` (even setups train).
    """
    if benchmark not in ('ntu60', 'ntu120'):
        raise ValueError(f"benchmark must be 'ntu60' or 'ntu120', got {benchmark!r}")
    subjects = set(NTU60_XSUB_TRAIN if benchmark == 'ntu60' else NTU120_XSUB_TRAIN)
    second = 'xview' if benchmark == 'ntu60' else 'xset'
    split = {k: [] for k in ('xsub_train', 'xsub_val', f'{second}_train', f'{second}_val')}
    for name in names:
        m = parse_ntu_name(name)
        split['xsub_train' if m['subject'] in subjects else 'xsub_val'].append(name)
        if benchmark == 'ntu60':
            train = m['camera'] in XVIEW_TRAIN_CAMERAS
        else:
            train = m['setup'] % 2 == 0
        split[f'{second}_train' if train else f'{second}_val'].append(name)
    return split


def _convert_one(path: str):
    """Worker: ``('ok', annotation)`` or ``('skip', message)``."""
    try:
        return 'ok', skeleton_to_annotation(path)
    except NoBodyError as e:
        return 'skip', str(e)


def convert_ntu_skeletons(
    data_path: str,
    out_dir: str,
    num_workers: int = 0,
    missing_list: Optional[str] = DEFAULT_MISSING_LIST,
    progress: bool = True,
) -> dict:
    """Convert every ``<name>.skeleton`` in ``data_path`` and write ``ntu60_3danno.pkl`` (samples
    of setups 1-17 with actions 1-60) and, when NTU-120-only samples (actions 61+ or setups 18+) are present,
    ``ntu120_3danno.pkl``
    (all samples), each ``dict(split=..., annotations=[...])`` sorted by name.

    Returns:
        dict: ``written`` (paths), ``num_samples`` per file, ``skipped`` (list of messages for files
        without a usable body), ``excluded`` (number of files on the missing list).
    """
    from pyskl.core.io import dump_pickle

    if not osp.isdir(data_path):
        raise FileNotFoundError(f'--data-path {data_path!r} is not a directory')
    if osp.exists(out_dir) and not osp.isdir(out_dir):  # before the conversion, not after it
        raise ValueError(f'--out-dir {out_dir}: exists and is not a directory')
    missing = load_missing_list(missing_list)
    files = sorted(f for f in os.listdir(data_path) if f.endswith('.skeleton'))
    for f in files:
        parse_ntu_name(f[: -len('.skeleton')])  # fail early, naming the file
    if not files:
        raise FileNotFoundError(f'{data_path}: no .skeleton files')
    todo = [osp.join(data_path, f) for f in files if f[: -len('.skeleton')] not in missing]
    excluded = len(files) - len(todo)

    def iterate(results):
        if not progress:
            return results
        from tqdm import tqdm

        return tqdm(results, total=len(todo), desc='ntu_preproc', unit='file')

    if num_workers > 0:
        import multiprocessing

        with multiprocessing.get_context('spawn').Pool(num_workers) as pool:
            results = list(iterate(pool.imap(_convert_one, todo, chunksize=16)))
    else:
        results = list(iterate(map(_convert_one, todo)))
    annotations = [r for kind, r in results if kind == 'ok']
    skipped = [r for kind, r in results if kind == 'skip']

    os.makedirs(out_dir, exist_ok=True)
    summary = dict(written=[], num_samples={}, skipped=skipped, excluded=excluded)
    ntu60 = [
        a
        for a in annotations
        if parse_ntu_name(a['frame_dir'])['setup'] <= 17 and parse_ntu_name(a['frame_dir'])['action'] <= 60
    ]
    if not annotations:
        raise ValueError(f'{data_path}: none of the {len(todo)} converted file(s) has a usable body: nothing to write')
    outputs = [('ntu60', ntu60)]
    if len(ntu60) < len(annotations):  # samples of NTU RGB+D 120 only (actions 61+, or setups 18-32)
        outputs.append(('ntu120', annotations))
    for bench, anns in outputs:
        if not anns:
            continue
        path = osp.join(out_dir, f'{bench}_3danno.pkl')
        dump_pickle(dict(split=ntu_splits([a['frame_dir'] for a in anns], bench), annotations=anns), path)
        summary['written'].append(path)
        summary['num_samples'][path] = len(anns)
    return summary
