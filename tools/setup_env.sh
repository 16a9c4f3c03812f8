#!/usr/bin/env bash
# Install pyskl and its dependencies; print the python interpreter to use on the last line.
#
#   PY=$(bash tools/setup_env.sh [EXTRA])      # EXTRA: tests, pose, ... (optional)
#
# Where it installs:
#   * an active virtualenv / conda env (VIRTUAL_ENV or CONDA_PREFIX set): into it;
#   * otherwise: ./.venv, created with --system-site-packages so that a torch (CUDA or
#     CPU) already installed for the system python is reused, not replaced.
#     An EXTRA list containing `pose` (e.g. `tests,pose`) always uses ./.venv-pose instead, active env
#     or not: MediaPipe needs numpy<2 and protobuf<5, so it gets its own environment next to the main one.
# torch: kept as it is when an installed torch >= 2.0 is found; otherwise torch==2.13.0
# is installed (on the project's CI machines that is a local CPU wheel). An unpinned torch
# is never requested, so pip cannot pull a different CUDA build behind your back.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=${1:-}

venv=.venv
case ",$extra," in *,pose,*) venv=.venv-pose ;; esac

if [ -n "${PYSKL_PYTHON:-}" ]; then
  py=$PYSKL_PYTHON
elif [ "$venv" = .venv ] && { [ -n "${VIRTUAL_ENV:-}" ] || [ -n "${CONDA_PREFIX:-}" ]; }; then
  py=$(command -v python || command -v python3)
else
  # the pose extra (numpy<2, protobuf<5) always gets its own .venv-pose, even with an env active,
  # so it can never downgrade the environment the rest of pyskl runs in
  if [ ! -x $venv/bin/python ]; then
    echo "[setup_env] creating $venv (system site-packages visible)" >&2
    python3 -m venv --system-site-packages $venv >&2
  fi
  py=$PWD/$venv/bin/python
fi

pipi() { "$py" -m pip install -q --disable-pip-version-check "$@" >&2; }

if ! "$py" - >/dev/null 2>&1 <<'PYEOF'
import torch
major, minor = (int(x) for x in torch.__version__.split('+')[0].split('.')[:2])
assert (major, minor) >= (2, 0)
PYEOF
then
  echo "[setup_env] no usable torch found: installing torch==2.13.0" >&2
  pipi torch==2.13.0
fi

target=.
[ -n "$extra" ] && target=".[$extra]"
echo "[setup_env] installing pyskl ($target) into $py" >&2
pipi -e "$target"
"$py" -c 'import torch, mmengine, mmcv, pyskl; print("[setup_env] torch", torch.__version__, "| mmengine", mmengine.__version__, "| mmcv", mmcv.__version__, "| pyskl", pyskl.__version__)' >&2
echo "$py"
