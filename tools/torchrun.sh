#!/usr/bin/env bash
# Launch a pyskl tool through torchrun; used by dist_train.sh and dist_test.sh.
#   [NNODES=1 NODE_RANK=0 MASTER_ADDR=127.0.0.1 PORT=29500 PYTHON=python] \
#     bash tools/torchrun.sh GPUS SCRIPT [script args]
# GPUS processes per node; without CUDA they run on CPU with the gloo backend. The interpreter is
# $PYTHON, else the repository's .venv, else python3. The variables are exported, so they reach the
# Python processes.
set -euo pipefail
GPUS=$1
SCRIPT=$2
shift 2
# GPUS: processes per node, a positive integer ('abc', 0 or a config path from swapped arguments were torchrun
# tracebacks); NNODES / NODE_RANK likewise
if ! [[ "$GPUS" =~ ^[1-9][0-9]{0,3}$ ]]; then
    echo "error: GPUS (processes per node) must be a positive integer, got '$GPUS'" \
        "(usage: dist_train.sh CONFIG GPUS ..., dist_test.sh CONFIG CHECKPOINT GPUS ...)" >&2
    exit 2
fi
for name in NNODES NODE_RANK; do
    value=${!name:-0}
    if ! [[ "$value" =~ ^[0-9]{1,4}$ ]]; then
        echo "error: $name must be a non-negative integer, got '$value'" >&2
        exit 2
    fi
done
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export NNODES=${NNODES:-1}
export NODE_RANK=${NODE_RANK:-0}
export PORT=${PORT:-29500}
export MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
export MASTER_PORT=$PORT
source "$REPO/tools/python_env.sh"
# pyskl.cli.torchrun is torchrun (the same arguments) ending a failed run with one line instead of a traceback
exec "$PY" -m pyskl.cli.torchrun \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --master_port="$PORT" --nproc_per_node="$GPUS" \
    "$SCRIPT" "$@"
