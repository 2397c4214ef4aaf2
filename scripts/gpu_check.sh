#!/usr/bin/env bash
# The prepared GPU check (issue 16 item 8): on a GPU machine with JAX but without TensorFlow and without network,
# install the carried wheels, then on the GPU with KERAS_BACKEND=jax (one xdist worker per GPU):
#   1. the smoke claim suite, 2. one quick-profile claim, 3. tp2 perf --backend jax,
# printing every figure; each step has a time limit so the whole check stays within 8 minutes.
#
#   bash scripts/gpu_check.sh [--wheels DIR] [--dry-run]
#
# --dry-run (any machine, no GPU needed): checks the wheel list and the tp2 checkout, prints the plan, runs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

WHEELS=wheels
DRY_RUN=0
while [ $# -gt 0 ]; do
  case "$1" in
    --wheels) WHEELS="$2"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    *) echo "gpu_check: unknown argument $1 (use --wheels DIR, --dry-run)" >&2; exit 2 ;;
  esac
done

LIST=scripts/gpu_wheels.txt
PY=${PYTHON:-python3}
STEP_LIMIT_S=${TP2_GPU_STEP_LIMIT_S:-200}  # per step
DEADLINE_S=${TP2_GPU_DEADLINE_S:-470}  # the whole check: every figure printed within 8 minutes
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" KERAS_BACKEND=jax TP2_THREADS=1
export TP2_STORE="${TP2_STORE:-$PWD/.tp2-gpu-store}" TP2_CACHE="${TP2_CACHE:-$PWD/.tp2-gpu-cache}"
export XLA_PYTHON_CLIENT_PREALLOCATE=false PIP_DISABLE_PIP_VERSION_CHECK=1

[ -f "$LIST" ] || { echo "gpu_check: $LIST is missing" >&2; exit 2; }
[ -f tp2core/plugin.py ] || { echo "gpu_check: run from a tp2 checkout" >&2; exit 2; }
GPUS=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true)

step() { echo; echo "=== $* ($(date -u +%H:%M:%S))"; }
run() {  # run "label" cmd...: prints the command and its wall seconds (the figure), never stops the check
  local label=$1; shift
  echo "+ $*"
  if [ "$DRY_RUN" = 1 ]; then return 0; fi
  local left=$(( DEADLINE_S - SECONDS )) t0=$SECONDS rc=0
  if [ "$left" -le 5 ]; then echo "gpu_check figure: $label skipped (the ${DEADLINE_S} s budget is spent)"; return 0; fi
  timeout "$(( left < STEP_LIMIT_S ? left : STEP_LIMIT_S ))" "$@" || rc=$?
  echo "gpu_check figure: $label wall $((SECONDS - t0)) s, exit $rc"
}

step "plan: $GPUS GPU(s), KERAS_BACKEND=$KERAS_BACKEND, wheels from $WHEELS, ${STEP_LIMIT_S} s per step, ${DEADLINE_S} s in all"
if [ "$DRY_RUN" = 0 ] && [ "$GPUS" -lt 1 ]; then
  echo "gpu_check: no GPU visible (nvidia-smi -L); use --dry-run to see the plan on a CPU machine" >&2
  exit 3
fi
N=$(( GPUS > 0 ? GPUS : 1 ))  # one xdist worker per GPU (tp2 pins each worker to one)

step "install carried wheels (offline)"
run install "$PY" -m pip install -q --no-index --find-links "$WHEELS" -r "$LIST"
run versions "$PY" -c "import jax, keras; print('jax', jax.__version__, jax.devices()); print('keras', keras.__version__)"

step "1. smoke claim suite on the GPU (jax)"
run smoke "$PY" -m pytest benchmarks -p no:cacheprovider -n "$N" --tp2-profile smoke --tp2-dataset simulated -q

step "2. one quick-profile claim on the GPU (jax)"
run quick-claim "$PY" -m pytest benchmarks -p no:cacheprovider -n "$N" --tp2-profile quick --tp2-dataset simulated \
  -k relu-beats-course-baseline -q

step "3. tp2 perf --backend jax"
run perf "$PY" -m tp2core.cli perf --backend jax

if [ "$DRY_RUN" = 1 ]; then step "done (dry run: nothing was run)"; else step "done in $SECONDS s"; fi
