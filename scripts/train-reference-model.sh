#!/usr/bin/env bash
# Rebuilds models/reference: the GRU trained on 20 000 patients of the known-truth reference
# process (seed 1). The conditioning-fidelity tests generate from it and compare with the true
# survival curves. Run from the repository root after `npm ci`:
#   bash scripts/train-reference-model.sh [extra train flags]
set -euo pipefail
cd "$(dirname "$0")/.."
data=out/reference-20k-seed1
node dist/cli/main.js reference --patients 20000 --seed 1 --out "$data" --overwrite --quiet
node dist/cli/main.js train --data "$data" --out models/reference --seed 1 --overwrite "$@"
echo "models/reference rebuilt from $data"
