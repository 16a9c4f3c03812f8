# Sourced by the launch scripts: PY = $PYTHON, else the active virtualenv / conda env's python, else the
# repository's .venv python (what tools/setup_env.sh creates), else python3; the repository goes on
# PYTHONPATH. Expects REPO to be set.
if [ -n "${PYTHON:-}" ]; then
    PY=$PYTHON
elif [ -n "${VIRTUAL_ENV:-}" ] || [ -n "${CONDA_PREFIX:-}" ]; then
    PY=$(command -v python || command -v python3)
elif [ -x "$REPO/.venv/bin/python" ]; then
    PY="$REPO/.venv/bin/python"
else
    PY=python3
fi
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
