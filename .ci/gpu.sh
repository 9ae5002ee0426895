#!/usr/bin/env bash
# GPU checks without installing anything: for a CUDA machine that already has torch, CuPy,
# numba, h5py, pytest and hypothesis (the `gpu` nox session does the same inside a fresh venv).
# Usage: bash .ci/gpu.sh [OUTDIR]
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/gpu}"
mkdir -p "$out"
export PYTHONPATH="$PWD/hdf5-spec/src:$PWD/packages/lava-dl-core/src:$PWD/packages/lava-dl-slayer/src${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
python3 - <<'PY'
import torch, cupy
print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))
print("cupy", cupy.__version__)
PY
status=0
python3 -m pytest -p no:cacheprovider --import-mode=importlib -q -m cuda \
    packages/lava-dl-core/tests 2>&1 | tee "$out/pytest-cuda.log" || status=1
python3 -m pytest -p no:cacheprovider --import-mode=importlib -q \
    packages/lava-dl-slayer/tests/test_neuron_cuda.py 2>&1 | tee "$out/pytest-slayer-cuda.log" || status=1
python3 packages/lava-dl-core/benchmarks/bench_core.py --device cuda \
    --json "$out/bench-core-cuda.json" 2>&1 | tee "$out/bench-core-cuda.log" || status=1
python3 packages/lava-dl-slayer/benchmarks/bench_slayer.py --device cuda \
    --json "$out/bench-slayer-cuda.json" 2>&1 | tee "$out/bench-slayer-cuda.log" || status=1
exit $status
