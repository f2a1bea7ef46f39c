#!/usr/bin/env node
// Refits only the attribute model (attributeModel) of an existing model folder, on exactly the
// training patients `train` used (same seeded split), and rewrites its manifest.json. The GRU
// never reads the attribute model (it trains on the real attributes), so this gives the manifest
// a full retrain would write, minus hours of training: retraining models/default with the CART
// attribute model reproduced its weights.bin byte for byte. Refuses data whose content hash
// differs from the one the model was trained on. The logic is the library's refitAttributeModel.
//
//   npm run build && node scripts/refit-attribute-model.mjs --model models/reference \
//       --data out/reference-20k-seed1 [--kind cart|parent]
import { refitAttributeModel } from 'trajsim';
import { options } from './lib.mjs';

const args = options({ model: '', data: '', kind: 'cart' });
if (!args.model || !args.data) {
  process.stderr.write(
    'usage: refit-attribute-model.mjs --model DIR --data TIMELINE_DIR [--kind cart|parent]\n',
  );
  process.exit(2);
}
try {
  const { trainPatients } = await refitAttributeModel(args.model, args.data, { kind: args.kind });
  process.stderr.write(
    `${args.model}/manifest.json: attribute model refitted on ${trainPatients} training patients\n`,
  );
} catch (error) {
  process.stderr.write(`refit-attribute-model: ${error.message}\n`);
  process.exit(2);
}
