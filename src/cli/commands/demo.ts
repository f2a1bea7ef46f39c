import { Command } from 'commander';
import type { RegisterCommand } from './index.js';

/** `trajsim demo`: the main job on the embedded default (filled in when the generator lands). */
export const registerDemo: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('demo')
      .description(
        'Generate a cohort from scenarios/demo.json with models/default and write a fidelity report.',
      )
      .action(() => {
        context.out(
          'trajsim demo: not yet available (the generator and the default model are being built).',
        );
      }),
  );
};
