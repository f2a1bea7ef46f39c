import { Command } from 'commander';
import { TrajsimError } from '../../core/errors.js';
import { BACKENDS, type BackendName } from '../../model/backend-names.js';
import type { RegisterCommand } from '../context.js';

interface BackendsFlags {
  probe: boolean;
  hidden: string;
  batch: string;
  json?: boolean;
}

/** `trajsim backends`: which compute backends work here, and how fast a GRU step runs on each. */
export const registerBackends: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('backends')
      .description(
        'List the generation engines: onnx (ONNX Runtime: version, providers cpu/cuda) and the tfjs backends\n' +
          'for the GRU (wasm: default, embedded; cpu: fallback; tensorflow: native\n' +
          '@tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node when installed) with a short throughput probe\n' +
          '(one GRU step + heads on random inputs, events/s).',
      )
      .option('--no-probe', 'only check availability')
      .option('--hidden <n>', 'hidden size of the probe network', '128')
      .option('--batch <n>', 'batch size of the probe', '1024')
      .option('--json', 'print JSON')
      .action(async (opts: BackendsFlags) => {
        // loaded here, not at startup: tfjs takes ~1 s to load and --help/--version need none of it
        const { loadNativeTensorflow, selectBackend } = await import('../../model/backend.js');
        const { probeStepThroughput } = await import('../../model/throughput-probe.js');
        const hidden = Number(opts.hidden);
        const batch = Number(opts.batch);
        if (
          !(Number.isSafeInteger(hidden) && hidden > 0 && Number.isSafeInteger(batch) && batch > 0)
        ) {
          throw new TrajsimError(
            'INVALID_ARGUMENT',
            '--hidden and --batch must be positive integers',
          );
        }
        const rows: {
          backend: BackendName;
          available: boolean;
          detail: string;
          eventsPerSecond?: number;
        }[] = [];
        for (const name of Object.values(BACKENDS)) {
          try {
            if (name === 'tensorflow') await loadNativeTensorflow();
            await selectBackend(name);
            const row: (typeof rows)[number] = {
              backend: name,
              available: true,
              detail: name === 'wasm' ? 'default' : '',
            };
            if (opts.probe) {
              // the cpu backend is ~30x slower: probe it with fewer steps
              const r = probeStepThroughput({ hidden, batch, steps: name === 'cpu' ? 2 : 20 });
              row.eventsPerSecond = Math.round(r.eventsPerSecond);
            }
            rows.push(row);
          } catch (error) {
            rows.push({ backend: name, available: false, detail: (error as Error).message });
          }
        }
        const { onnxEngineInfo } = await import('../../model/onnx-engine-info.js');
        const onnx = await onnxEngineInfo();
        if (opts.json) {
          context.out(
            JSON.stringify({ hidden, batch, backends: rows, engines: { onnx } }, null, 2),
          );
          return;
        }
        context.out(
          `${'onnx'.padEnd(11)} ${onnx.available ? 'available' : 'unavailable'}` +
            (onnx.version ? `  onnxruntime-node ${onnx.version}` : '') +
            (onnx.available
              ? `  providers: cpu${onnx.providers.cuda ? ', cuda' : ''}  ${onnx.detail}`
              : `  ${onnx.detail}`),
        );
        context.out('tfjs backends:');
        for (const r of rows) {
          context.out(
            `${r.backend.padEnd(11)} ${r.available ? 'available' : 'unavailable'}` +
              (r.eventsPerSecond !== undefined
                ? `  ${r.eventsPerSecond.toLocaleString('en-US')} events/s (GRU step, hidden ${hidden}, batch ${batch})`
                : '') +
              (r.detail ? `  ${r.detail}` : ''),
          );
        }
      }),
  );
};
