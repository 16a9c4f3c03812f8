# Sourced by the launch scripts: PY = $PYTHON, else the repository's .venv python, else python3;
# the repository goes on PYTHONPATH. Expects REPO to be set.
if [ -n "${PYTHON:-}" ]; then
    PY=$PYTHON
elif [ -x "$REPO/.venv/bin/python" ]; then
    PY="$REPO/.venv/bin/python"
else
    PY=python3
fi
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
