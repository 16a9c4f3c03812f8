#!/usr/bin/env bash
# The main job on the embedded SYNTHETIC demo data, from a fresh clone:
#   set up the environment -> generate the demo dataset -> train ST-GCN++ -> test (10 clips) ->
#   write result.pkl (PYSKL format) -> print Top-1.
#
#   bash tools/run_demo.sh [GPUS]        # GPUS (default 1): >1 trains/tests with torchrun (gloo on CPU)
#
# Environment: WORK_DIR (default work_dirs/demo), CONFIG (default the ST-GCN++ demo config).
set -euo pipefail
cd "$(dirname "$0")/.."
gpus=${1:-1}
config=${CONFIG:-configs/stgcn++/stgcn++_demo_3dkp/j.py}
work_dir=${WORK_DIR:-work_dirs/demo}
ann=data/demo/demo_3danno.pkl

py=$(bash tools/setup_env.sh | tail -n 1)
export PYTHON=$py
[ -f "$ann" ] || "$py" tools/data/make_demo_data.py --out "$ann"

if [ "$gpus" -gt 1 ]; then
  bash tools/dist_train.sh "$config" "$gpus" --work-dir "$work_dir" --seed 0
else
  "$py" tools/train.py "$config" --work-dir "$work_dir" --seed 0
fi
ckpt=$(ls -t "$work_dir"/best_*.pth 2>/dev/null | head -n 1)
[ -n "$ckpt" ] || ckpt="$work_dir/epoch_$("$py" -c "from pyskl.core.config import load_config; print(load_config('$config').train_cfg.max_epochs)").pth"
echo "[demo] testing $ckpt"
if [ "$gpus" -gt 1 ]; then
  bash tools/dist_test.sh "$config" "$ckpt" "$gpus" --work-dir "$work_dir" --out "$work_dir/result.pkl"
else
  "$py" tools/test.py "$config" "$ckpt" --work-dir "$work_dir" --out "$work_dir/result.pkl"
fi
echo "[demo] wrote $work_dir/result.pkl"
