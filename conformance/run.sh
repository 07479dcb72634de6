#!/usr/bin/env bash
# conformance/run.sh - run the official Array API test suite (data-apis/array-api-tests) against minpy_array,
# under the default policy ("auto"), "prefer_mxnet" and "prefer_torch", and print one summary line per policy.
#
# Usage:  conformance/run.sh [MAX_EXAMPLES] [POLICY ...]        (defaults: 200, auto prefer_mxnet prefer_torch)
#
# Needs (nothing is fetched from GitHub here; the runner builds a venv with pip):
#   AAT_MIRROR       bare git clone of https://github.com/data-apis/array-api-tests
#   AAT_SPEC_MIRROR  bare git clone of https://github.com/data-apis/array-api (the suite's spec submodule)
#   AAT_RUNNER       the heavy-lifting script (default: ../shared/tools/run-array-api-tests.sh next to the repo)
#   AAT_CACHE        checkout, venv and logs (default /tmp/array-api-tests-cache)
# The venv gets NumPy 1.26.4, array-api-compat 1.16.0, MXNet 1.9.1 and torch 2.13.0 (the backends `auto`'s
# calibration measures; MINPY_ARRAY_CALIBRATE_MIN_SIZE=0 in the environment measures every call kind); minpy_array
# comes from this checkout
# (PYTHONPATH).  conformance/xfails.txt is passed as the suite's --xfails-file.  Logs, JSON reports and the
# failed test ids land in $AAT_CACHE/logs; the results table lives in conformance/README.md.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
MAX_EXAMPLES=${1:-200}
shift || true
if [ $# -gt 0 ]; then POLICIES=("$@"); else POLICIES=(auto prefer_mxnet prefer_torch); fi
RUNNER=${AAT_RUNNER:-$ROOT/../shared/tools/run-array-api-tests.sh}
: "${AAT_MIRROR:?set AAT_MIRROR to a bare git clone of data-apis/array-api-tests}"
: "${AAT_SPEC_MIRROR:?set AAT_SPEC_MIRROR to a bare git clone of data-apis/array-api}"
[ -f "$RUNNER" ] || { echo "run.sh: runner not found: $RUNNER (set AAT_RUNNER)" >&2; exit 3; }
export AAT_MIRROR AAT_SPEC_MIRROR PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
status=0
for policy in "${POLICIES[@]}"; do
  echo "== policy $policy, max-examples $MAX_EXAMPLES"
  MINPY_ARRAY_POLICY=$policy bash "$RUNNER" --pip "numpy==1.26.4 array-api-compat==1.16.0 mxnet==1.9.1 torch==2.13.0 threadpoolctl==3.8.0" \
    --xfails "$HERE/xfails.txt" minpy_array "$MAX_EXAMPLES" | tail -n 1 | sed "s/^/$policy: /"
  rc=$?
  [ $rc -ne 0 ] && status=$rc
done
exit $status
