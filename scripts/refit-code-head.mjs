#!/usr/bin/env node
// Refits the code head of an existing GRU model folder post hoc (issue 17, docs/attributes.md
// "Refit of the code head"): with the trained network's hidden states fixed, the code bias (and,
// with an attribute skip, the skip's code kernel) by maximum likelihood on exactly the training
// rows `train` used (same seeded split), so teacher-forced Σ P(code) = observed per code (and per
// attribute level with a skip). Rewrites weights.bin, manifest.json and the ONNX graphs of
// --model (copy the folder first to keep the original). The logic is the library's
// refitModelFolderCodeHead; `trajsim train` does the same at the end of training by default.
//
//   npm run build && node scripts/refit-code-head.mjs --model DIR --data TIMELINE_DIR
import { refitModelFolderCodeHead, selectBackend } from 'trajsim';
import { options } from './lib.mjs';

const args = options({ model: '', data: '' });
if (!args.model || !args.data) {
  process.stderr.write('usage: refit-code-head.mjs --model DIR --data TIMELINE_DIR\n');
  process.exit(2);
}
try {
  await selectBackend('wasm');
  const report = await refitModelFolderCodeHead(args.model, args.data);
  process.stdout.write(`${JSON.stringify({ model: args.model, ...report }, null, 1)}\n`);
} catch (error) {
  process.stderr.write(`refit-code-head: ${error.message}\n`);
  process.exit(2);
}
