#!/usr/bin/env bash
# The CUDA paths in one run, for a machine with a GPU (run it whenever one is available):
#   1. tools/dist_train.sh on CUDA (nccl) with --amp, 2 epochs of the ST-GCN++ demo config, then
#      tools/dist_test.sh --out result.pkl on its checkpoint;
#   2. one epoch of tools/dist_train.sh per backbone (full-width NTU60-XSub 3D config, on the demo data);
#   3. tools/analysis/benchmark.py per backbone: fp32 and --amp (with COMPILE=1 also --amp --compile for
#      ST-GCN++, which adds about 2.5 minutes of compilation), cudnn.benchmark on; samples/s and TFLOP/s.
#
#   [COMPILE=1] bash tools/analysis/cuda_check.sh [OUT_DIR]          # default work_dirs/cuda_check
#
# On one H200 it took about 6.5 minutes without COMPILE (docs/benchmarks.md has its figures).
#
# Needs the demo data (made here if missing). Each step's exit status is printed; the script goes on after a
# failure and exits non-zero at the end if any step failed. The interpreter is $PYTHON, else python3.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:-work_dirs/cuda_check}
PY=${PYTHON:-python3}
export PYTHON=$PY OMP_NUM_THREADS=${OMP_NUM_THREADS:-4}
mkdir -p "$out"
failed=()
step() {  # step NAME CMD...: run, report, remember failures
  local name=$1; shift
  echo "=== $name: $*"
  local t0=$SECONDS
  "$@"
  local rc=$?
  echo "=== $name: exit $rc in $((SECONDS - t0)) s"
  [ $rc -eq 0 ] || failed+=("$name")
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$PY" -c 'import torch, mmengine; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn",
torch.backends.cudnn.version(), "| mmengine", mmengine.__version__, "|", torch.cuda.get_device_name(0))'

ann=data/demo/demo_3danno.pkl
[ -f "$ann" ] || "$PY" tools/data/make_demo_data.py --out "$ann" >/dev/null

demo=configs/stgcn++/stgcn++_demo_3dkp/j.py
step ddp-train-amp bash tools/dist_train.sh "$demo" 1 --work-dir "$out/demo" --seed 0 --amp \
  --cfg-options train_cfg.max_epochs=2
step ddp-test bash tools/dist_test.sh "$demo" "$out/demo/epoch_2.pth" 1 --work-dir "$out/demo" \
  --out "$out/demo/result.pkl"

declare -A cfgs=(
  [stgcn]=configs/stgcn/stgcn_pyskl_ntu60_xsub_3dkp/j.py
  [stgcn++]=configs/stgcn++/stgcn++_ntu60_xsub_3dkp/j.py
  [aagcn]=configs/aagcn/aagcn_pyskl_ntu60_xsub_3dkp/j.py
  [msg3d]=configs/msg3d/msg3d_pyskl_ntu60_xsub_3dkp/j.py
  [dgstgcn]=configs/dgstgcn/ntu60_xsub_3dkp/j.py
  [ctrgcn]=configs/ctrgcn/ctrgcn_pyskl_ntu60_xsub_3dkp/j.py
  [protogcn]=configs/protogcn/ntu60_xsub_3dkp/j.py
)
for name in stgcn stgcn++ aagcn msg3d dgstgcn ctrgcn protogcn; do
  cfg=${cfgs[$name]}
  data_opts=("ann_file=$ann")
  step "train-$name" bash tools/dist_train.sh "$cfg" 1 --work-dir "$out/$name" --seed 0 --no-validate \
    --cfg-options train_cfg.max_epochs=1 train_dataloader.dataset.times=1 \
    default_hooks.logger.interval=10 "${data_opts[@]}"
  modes=("" "--amp")
  [ "${COMPILE:-0}" = 1 ] && [ $name = stgcn++ ] && modes+=("--amp --compile")
  for mode in "${modes[@]}"; do
    # shellcheck disable=SC2086
    step "bench-$name${mode:+ $mode}" "$PY" tools/analysis/benchmark.py "$cfg" --device cuda --batch 16 \
      --iters 20 --warmup 5 --cudnn-benchmark $mode --cfg-options "${data_opts[@]}"
  done
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all steps passed"
