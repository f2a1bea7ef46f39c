import { join } from 'node:path';
import { Command } from 'commander';
import type { RegisterCommand } from '../context.js';

/** `trajsim demo`: the main job on the embedded default model and bundled data (report/run-demo.ts). */
export const registerDemo: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('demo')
      .description(
        'The main job on the embedded defaults: import the bundled colon data, generate the cohort of\n' +
          'scenarios/demo.json with models/default, validate it against the real data and write report.html.',
      )
      .option('--out <dir>', 'where to write everything', 'demo-output')
      .addHelpText('after', '\nExample:\n  npm run demo   (= trajsim demo --out demo-output)')
      .action(async (opts: { out: string }) => {
        // loaded here, not at startup: the engines take ~1 s to load and --help/--version need none
        const { runDemo } = await import('../../report/run-demo.js');
        const { report, reportDir, seconds } = await runDemo({
          out: opts.out,
          commandLine: ['trajsim', ...process.argv.slice(2)],
          logger: context.logger,
        });
        const failed = report.metrics.filter((m) => m.pass === false);
        const gated = report.metrics.filter((m) => m.pass !== null);
        context.out(
          `demo: ${gated.length - failed.length}/${gated.length} fidelity metrics within thresholds${failed.length ? ` (outside: ${failed.map((m) => m.id).join(', ')})` : ''}; ${seconds.toFixed(1)} s`,
        );
        const rules = report.plausibility?.rules.filter((r) => r.pass !== null) ?? [];
        if (rules.length > 0) {
          const broken = rules.filter((r) => r.pass === false).length;
          context.out(`plausibility: ${rules.length - broken}/${rules.length} hard rules hold`);
        }
        context.out(`report: ${join(reportDir, 'report.html')}`);
      }),
  );
};
