#!/usr/bin/env bash
# Check that pyskl's core requirements resolve to binary wheels on the platforms we support, without
# installing anything: pip's resolver runs in --dry-run mode for each target platform.
#
#   bash tools/misc/check_platforms.sh [PYTHON_VERSION]      # default 3.11
#
# Prints one line per platform with the resolved torch / numpy / opencv-python / mmcv-lite versions, and exits
# non-zero if any platform does not resolve. Needs access to PyPI (about 2 minutes per platform).
set -uo pipefail
cd "$(dirname "$0")/../.."
pyver=${1:-3.11}
req=$(mktemp)
grep -v -E '^\s*(#|$)' requirements.txt > "$req"
status=0
for plat in "macosx_14_0_arm64" "manylinux_2_28_aarch64 manylinux2014_aarch64" \
            "manylinux_2_28_x86_64 manylinux2014_x86_64" "win_amd64"; do
  args=()
  for p in $plat; do args+=(--platform "$p"); done
  report=$(mktemp)
  if python3 -m pip install -q --dry-run --ignore-installed --only-binary=:all: "${args[@]}" \
      --python-version "$pyver" --implementation cp --target "$(mktemp -d)" --report "$report" -r "$req" \
      2> >(grep -v '^WARNING: Location' >&2); then
    python3 - "$report" "${plat%% *}" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
v = {i['metadata']['name'].lower(): i['metadata']['version'] for i in report['install']}
print(f'{sys.argv[2]:<24} OK  ' + ', '.join(f'{k} {v.get(k, "-")}' for k in
                                              ('torch', 'numpy', 'opencv-python', 'mmcv-lite', 'mmengine')))
PY
  else
    echo "${plat%% *}: does NOT resolve"
    status=1
  fi
done
exit $status
