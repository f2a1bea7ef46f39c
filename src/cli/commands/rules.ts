import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { TrajsimError } from '../../core/errors.js';
import { noModelRulesMessage, notRulesSourceMessage } from '../../core/messages.js';
import { MODEL_FILES } from '../../model/manifest.js';
import { describeRuleWithSupport } from '../../rules/describe-rule.js';
import { mineRules } from '../../rules/mine-rules.js';
import type { RuleSet } from '../../rules/rule-schema.js';
import {
  applyRuleEdits,
  RULES_FILE,
  readModelRules,
  readRuleEdits,
  ruleSetJson,
  writeRuleSet,
} from '../../rules/rules-file.js';
import { readTimeline, readTimelineManifest } from '../../timeline/read.js';
import { TIMELINE_FILES } from '../../timeline/types.js';
import type { RegisterCommand } from '../context.js';
import { fraction, positiveInt } from '../options.js';

interface RulesFlags {
  json?: boolean;
  out?: string;
  rules?: string;
  minAtRisk?: number;
  tolerance?: number;
}

/** The rules of DIR: mined from a timeline directory, or read from a model folder. */
async function rulesOf(dir: string, flags: RulesFlags): Promise<RuleSet | undefined> {
  if (existsSync(join(dir, MODEL_FILES.MANIFEST))) return readModelRules(dir);
  if (!existsSync(join(dir, TIMELINE_FILES.MANIFEST))) {
    throw new TrajsimError(
      'IO',
      notRulesSourceMessage(dir, TIMELINE_FILES.MANIFEST, MODEL_FILES.MANIFEST),
    );
  }
  const manifest = readTimelineManifest(dir);
  return mineRules(await readTimeline(dir), {
    contentHash: manifest.contentHash,
    ...(flags.minAtRisk !== undefined ? { minAtRisk: flags.minAtRisk } : {}),
    ...(flags.tolerance !== undefined ? { tolerance: flags.tolerance } : {}),
  });
}

/** `trajsim rules`: the plausibility rules of a timeline (mined) or a model folder, in plain words. */
export const registerRules: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('rules')
      .description(
        'Show the plausibility rules of a timeline directory (mined from it: once-only and required codes,\n' +
          'fixed days, precedence, exclusive pairs, attribute <-> code consistency, each with its support) or of a\n' +
          'model folder (its rules.json, enforced while sampling). --out writes them, e.g. into a model folder.',
      )
      .argument('<dir>', 'timeline directory or model folder')
      .option('--json', 'print rules.json to stdout')
      .option('--out <file>', 'write the rules as JSON (a model folder: its rules.json)')
      .option('--rules <file>', 'apply a rule edits file (add / remove / relax)')
      .option(
        '--min-at-risk <n>',
        'mining: patients at risk a rule needs (default 30)',
        positiveInt,
      )
      .option(
        '--tolerance <share>',
        'mining: share of patients at risk allowed to break a rule (default 0)',
        fraction,
      )
      .addHelpText(
        'after',
        '\nExamples:\n  trajsim rules out/colon\n  trajsim rules models/default --json\n' +
          '  trajsim rules out/colon --out models/colon   # writes models/colon/rules.json',
      )
      .action(async (dir: string, flags: RulesFlags) => {
        let set = await rulesOf(dir, flags);
        if (!set) {
          context.out(noModelRulesMessage(dir, RULES_FILE));
          return;
        }
        if (flags.rules) set = applyRuleEdits(set, readRuleEdits(flags.rules), flags.rules);
        if (flags.out) {
          const path =
            existsSync(flags.out) && statSync(flags.out).isDirectory()
              ? join(flags.out, RULES_FILE)
              : flags.out;
          writeRuleSet(path, set);
          context.note(`wrote ${set.rules.length} rules → ${path}`);
        }
        if (flags.json) {
          context.out(ruleSetJson(set).trimEnd());
          return;
        }
        context.out(
          `${set.rules.length} rules of ${set.source.name} (${set.source.patients} patients):`,
        );
        for (const rule of set.rules) context.out(`  ${describeRuleWithSupport(rule)}`);
      }),
  );
};
