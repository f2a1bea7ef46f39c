#!/usr/bin/env bash
# Rebuilds models/default: the GRU trained on the bundled colon data (R survival's `colon`).
# The 0/1 flags are imported as categorical so scenarios can weight their levels.
# Run from the repository root after `npm ci`:  bash scripts/train-default-model.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data=out/colon-timeline
node dist/cli/main.js import \
  --patients data/colon/patients.csv --events data/colon/events.csv \
  --categorical obstruct,perfor,adhere,node4 --name colon --out "$data" --overwrite
node dist/cli/main.js train --data "$data" --out models/default --seed 20261127 --overwrite "$@"
echo "models/default rebuilt from $data; its manifest.json records the train command line"
