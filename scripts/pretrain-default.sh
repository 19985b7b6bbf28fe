#!/usr/bin/env bash
# The reproducible recipe of resources/models/core-default.onnx (see resources/models/core-default.md):
# 600 procedural, license-free surface textures (scripts/make-textures.ts, seed 0, 160 px), then CoRe pretraining
# at 128 px, batch 16, seed 0 for 4 epochs = 152 steps (the committed file was made with `--minutes 8`, which
# measured exactly this step count, then `--resume` to finish the schedule; see core-default.md). About 10-15 min
# on 2 contended cores. The loss curve lands beside the output (core-default.loss.jsonl, not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${CORE_DEFAULT_WORK:-$(mktemp -d -t core-default-XXXX)}"
nice -n 10 npx tsx scripts/make-textures.ts --out "$WORK/textures" --count 600 --size 160 --seed 0
nice -n 10 node bin/defect-studio.js pretrain --data "$WORK/textures" --out "${CORE_DEFAULT_OUT:-resources/models/core-default.onnx}" \
  --epochs 4 --image-size 128 --batch 16 --seed 0 --work-dir "$WORK/work"
