"""A synthetic skeleton action dataset in the NTU RGB+D 3D (or 2D HRNet) annotation format.

Real skeleton datasets cannot be downloaded everywhere, so the demo job trains on data made
here. :func:`make_demo_data` returns, and :func:`make_demo_dataset` pickles, exactly the
structure of PYSKL's ``ntu60_3danno.pkl`` (``kind='3d'``, the default)::

    dict(split=dict(xsub_train=[frame_dir, ...], xsub_val=[...],
                    xview_train=[...], xview_val=[...]),
         annotations=[dict(frame_dir=str, label=int, total_frames=T,
                           keypoint=float32 (M, T, 25, 3),
                           img_shape=(1080, 1920), original_shape=(1080, 1920)), ...])

Skeletons use the 25-joint Kinect v2 layout ``'nturgb+d'`` (see
``pyskl/core/layout.py``) in Kinect camera coordinates, in metres: ``x`` sideways,
``y`` up, ``z`` depth from the camera (the subject stands about 2.5-3.5 m away).

Each sample is a forward-kinematics skeleton (bone lengths scaled by a per-subject body
size) animated by one of :data:`CLASS_NAMES`. Every action starts and ends in the same
neutral standing pose and differs from the others in how it moves, so the classes must be
told apart from motion. As in NTU, each subject performs each action in two replications
(``R001``, ``R002``) seen by three cameras (``C001`` at 0 degrees, ``C002`` at -45, ``C003`` at
+45, plus jitter); ``frame_dir`` is ``S{setup}C{camera}P{subject}R{rep}A{action}`` with the
action 1-indexed (``label + 1``). Per sample there is also variation of position, speed,
duration (``T`` in 40..150 frames), timing, joint noise (about 1 cm), an occasional idle
second person (``M = 2`` in about 15 % of the performances) and occasional leading or
trailing all-zero frames, as real NTU files have.

With ``kind='2d'`` the same 3D samples are seen by a pinhole model of the Kinect v2 colour
camera (:func:`ntu_to_coco_2d`) and written as PYSKL's ``ntu60_hrnet.pkl`` is: 17 COCO joints
in pixels of a 1920x1080 image plus per-joint confidences, for the ``coco``-layout configs and
the video demo (``demo/demo_skeleton.py``)::

    annotations=[dict(frame_dir, label, total_frames,
                      keypoint=float32 (M, T, 17, 2), keypoint_score=float32 (M, T, 17),
                      img_shape=(1080, 1920), original_shape=(1080, 1920)), ...]

Randomness comes only from local ``numpy.random.Generator`` objects seeded from
``(seed, subject, action, replication)``: the output is a pure function of the arguments,
and a sample does not change when the number of subjects or samples changes.

The package imports only numpy, the standard library and :mod:`pyskl.core.layout`:
:mod:`.kinematics` (bodies, rotations, forward kinematics on the layout's tree), :mod:`.actions` (the
name -> planner table :data:`ACTIONS`), :mod:`.projection` (cameras, COCO-17 projection) and
:mod:`.generate` (samples, splits, pickling).
"""

from .actions import ACTIONS, CLASS_NAMES
from .generate import KINDS, make_demo_data, make_demo_dataset, summarize, val_subjects
from .kinematics import FK_PARENTS, LEFT_TO_RIGHT, NUM_JOINTS
from .projection import CAMERA_YAW, COCO_FROM_NTU, IMG_SHAPE, ntu_to_coco_2d

__all__ = [
    'ACTIONS',
    'CAMERA_YAW',
    'CLASS_NAMES',
    'COCO_FROM_NTU',
    'FK_PARENTS',
    'IMG_SHAPE',
    'KINDS',
    'LEFT_TO_RIGHT',
    'NUM_JOINTS',
    'make_demo_data',
    'make_demo_dataset',
    'ntu_to_coco_2d',
    'summarize',
    'val_subjects',
]
