import { Command } from 'commander';
import type { RegisterCommand } from '../context.js';

/** `trajsim export-onnx MODEL`: writes MODEL/onnx/{start,step,gap}.onnx from weights.bin. */
export const registerExportOnnx: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('export-onnx')
      .description(
        'Export a GRU model’s inference graph to ONNX (MODEL/onnx/start.onnx, step.onnx, gap.onnx; standard\n' +
          'opset-17 ops) for the onnx generation engine and other ONNX runtimes. trajsim train writes them too;\n' +
          'use this for model folders trained before.',
      )
      .argument('<model>', 'model folder (from trajsim train)')
      .addHelpText('after', '\nExample:\n  trajsim export-onnx models/default')
      .action(async (dir: string) => {
        // loaded here, not at startup: the model code loads tfjs (~1 s), which --help needs none of
        const { loadModel } = await import('../../model/read-model.js');
        const { exportOnnx, writeOnnxFiles } = await import('../../model/onnx-export.js');
        const { manifest, weights } = loadModel(dir);
        const paths = writeOnnxFiles(dir, exportOnnx(manifest, weights ?? new Float32Array(0)));
        context.out(`wrote ${paths.join(', ')}`);
      }),
  );
};
