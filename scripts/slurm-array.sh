#!/usr/bin/env bash
# trajsim batch generation as a Slurm job array on GPU nodes.
#
#   sbatch --array=1-8 scripts/slurm-array.sh scenarios/elderly-stage-iii.json /scratch/$USER/cohort [REAL]
#
# Each array task generates one contiguous shard (`--shard auto` reads SLURM_ARRAY_TASK_ID,
# SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT). Their union is byte-identical to a single
# run. A requeued task resumes its shard (`--resume`). When all tasks are done:
#   sbatch --dependency=afterok:<jobid> --wrap "node dist/cli/main.js merge <out>/shard-* --out <out>/all"
# With a real timeline REAL, each task also writes its shard's exact validation summary, and
# validation runs without any process reading every shard (byte-identical report metrics):
#   sbatch --dependency=afterok:<jobid> --wrap "node dist/cli/main.js validate --real REAL --summaries <out>/summary-*.json --out <out>/fidelity"
#
# For the GPU, install the native backend once in the checkout: npm install @tensorflow/tfjs-node-gpu
#SBATCH --job-name=trajsim-generate
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=02:00:00
#SBATCH --requeue
set -euo pipefail
scenario=${1:?usage: sbatch --array=1-N slurm-array.sh SCENARIO.json OUTDIR [REAL]}
out=${2:?usage: sbatch --array=1-N slurm-array.sh SCENARIO.json OUTDIR [REAL]}
real=${3:-}
cd "${SLURM_SUBMIT_DIR:-.}"
backend=wasm
node -e "require.resolve('@tensorflow/tfjs-node-gpu')" 2>/dev/null && backend=tensorflow
shard=$(printf '%04d' "$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-1} + 1))")
node dist/cli/main.js generate \
  --scenario "$scenario" \
  --model models/default \
  --backend "$backend" \
  --shard auto \
  --resume \
  --out "$out/shard-$shard"
if [ -n "$real" ]; then
  node dist/cli/main.js summarize "$out/shard-$shard" --real "$real" --overwrite \
    --out "$out/summary-$shard.json"
fi
