import { Command, Option } from 'commander';
import { DEFAULT_SEED } from '../../core/rng.js';
import { parseShard, shardRange } from '../../core/shard.js';
import {
  REMOVABLE_TRANSITIONS,
  type RemovableTransition,
} from '../../reference/reference-parameters.js';
import { simulateReference } from '../../reference/reference-process.js';
import type { RegisterCommand } from '../context.js';
import { nonEmpty, positiveInt, positiveNumber } from '../options.js';

/** `trajsim reference`: the known-truth oncology process, at any scale. */
export const registerReference: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('reference')
      .description(
        'Simulate the known-truth multi-state oncology process (docs/reference-process.md) into a timeline directory.\n' +
          'Attributes age, sex, stage I–IV, ECOG 0–2, biomarker; treatment lines, response, progression, recurrence, visits,\n' +
          'death, dropout and administrative censoring. Streams with flat memory; same seed ⇒ same bytes.\n' +
          'Perturbation flags make deliberately wrong processes for validator power checks.',
      )
      .requiredOption('--patients <n>', 'number of patients (1_000_000 is fine)', positiveInt)
      .requiredOption('--out <dir>', 'output timeline directory (created atomically)')
      .option('--seed <seed>', 'root seed', nonEmpty, DEFAULT_SEED)
      .option(
        '--shard <k/N|auto>',
        'write only shard k of N (contiguous patient range); the union of all shards equals the whole run',
      )
      .option(
        '--death-hazard-multiplier <x>',
        'perturbation: multiply the death hazard',
        positiveNumber,
      )
      .option(
        '--gap-multiplier <x>',
        'perturbation: stretch the clinical clock (time between events)',
        positiveNumber,
      )
      .addOption(
        new Option(
          '--remove-transition <code>',
          'perturbation: this transition never happens',
        ).choices([...REMOVABLE_TRANSITIONS]),
      )
      .option(
        '--shuffle-stage',
        'perturbation: write a stage unrelated to the trajectory (breaks conditioning)',
      )
      .option(
        '--force-first-line <treatment>',
        'what-if: every patient gets this first-line treatment (e.g. TREATMENT:IMMUNO)',
      )
      .option(
        '--marker',
        'add the tumour marker LAB:CEA (measured at diagnosis and visits; raises progression and death hazards; docs/reference-process.md)',
      )
      .option('--name <name>', 'dataset name in timeline.json', 'reference')
      .option('--overwrite', 'replace --out if it exists')
      .addHelpText(
        'after',
        '\nExamples:\n  trajsim reference --patients 20000 --seed 7 --out out/ref\n  trajsim reference --patients 20000 --seed 8 --death-hazard-multiplier 1.5 --out out/ref-sicker',
      )
      .action(
        async (opts: {
          patients: number;
          out: string;
          seed: string;
          shard?: string;
          deathHazardMultiplier?: number;
          gapMultiplier?: number;
          removeTransition?: RemovableTransition;
          shuffleStage?: boolean;
          forceFirstLine?: string;
          marker?: boolean;
          name: string;
          overwrite?: boolean;
        }) => {
          const range = opts.shard
            ? shardRange(opts.patients, parseShard(opts.shard))
            : { start: 0, end: opts.patients };
          const run = await simulateReference(opts.out, {
            patients: range.end - range.start,
            firstPatient: range.start,
            seed: opts.seed,
            name: opts.name,
            overwrite: opts.overwrite ?? false,
            ...(opts.deathHazardMultiplier !== undefined
              ? { deathHazardMultiplier: opts.deathHazardMultiplier }
              : {}),
            ...(opts.gapMultiplier !== undefined ? { gapMultiplier: opts.gapMultiplier } : {}),
            ...(opts.removeTransition !== undefined
              ? { removeTransition: opts.removeTransition }
              : {}),
            ...(opts.shuffleStage ? { shuffleStage: true } : {}),
            ...(opts.forceFirstLine !== undefined ? { forceFirstLine: opts.forceFirstLine } : {}),
            ...(opts.marker ? { marker: true } : {}),
            onProgress: (done, total) => context.logger.progress?.('reference', done, total),
          });
          const c = run.manifest.counts;
          context.out(
            `reference: ${c.patients} patients, ${c.events} events (${c.deaths} deaths, ${c.censored} censored) in ${run.seconds.toFixed(1)} s — ${Math.round(run.patientsPerSecond)} patients/s, ${Math.round(run.eventsPerSecond)} events/s → ${opts.out}`,
          );
        },
      ),
  );
};
