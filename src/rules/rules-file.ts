import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-output.js';
import { TrajsimError } from '../core/errors.js';
import { checkJson, parseJsonText, readJsonFile, readTextFile } from '../core/json-file.js';
import { unknownRuleMessage } from '../core/messages.js';
import {
  RULES_FORMAT_VERSION,
  type Rule,
  type RuleEdits,
  type RuleSet,
  ruleEditsSchema,
  ruleId,
  ruleSetSchema,
} from './rule-schema.js';

/** The rules file of a model folder. */
export const RULES_FILE = 'rules.json';

/**
 * Parses rules.json text. Throws INVALID_INPUT naming the file and the JSON path of a bad
 * field (an unknown format version included).
 *
 * @example
 * parseRuleSet('{"format":"trajsim-rules","format_version":1,"source":{"name":"x","patients":0,"content_hash":""},"rules":[]}', 'rules.json').rules // => []
 */
export function parseRuleSet(text: string, file: string): RuleSet {
  return checkJson(parseJsonText(text, file), ruleSetSchema, file);
}

/**
 * Parses a rule edits file (`--rules FILE`): `{ add, remove, relax }`. Throws INVALID_INPUT.
 *
 * @example
 * parseRuleEdits('{"remove":["max_count:RECURRENCE"]}', 'edits.json').remove // => ['max_count:RECURRENCE']
 */
export function parseRuleEdits(text: string, file: string): RuleEdits {
  return checkJson(parseJsonText(text, file), ruleEditsSchema, file);
}

/**
 * Reads a rule edits file. Throws IO when missing, INVALID_INPUT when malformed.
 *
 * @example
 * readRuleEdits('my-rules.json').relax // => ['max_count:RECURRENCE']
 */
export function readRuleEdits(path: string): RuleEdits {
  return readJsonFile(path, ruleEditsSchema, { notFound: 'rules file not found' });
}

/**
 * The rules of a model folder (its rules.json), or undefined when it has none (a model
 * trained before rules existed still loads). Throws INVALID_INPUT for a malformed file.
 *
 * @example
 * readModelRules('models/default')?.rules.length // => 17
 */
export function readModelRules(modelDir: string): RuleSet | undefined {
  const path = join(modelDir, RULES_FILE);
  if (!existsSync(path)) return undefined;
  return parseRuleSet(readTextFile(path), path);
}

/**
 * rules.json text (two-space indent, trailing newline).
 *
 * @example
 * ruleSetJson(mineRules(timeline)).startsWith('{') // => true
 */
export function ruleSetJson(rules: RuleSet): string {
  return `${JSON.stringify(rules, null, 2)}\n`;
}

/**
 * Writes rules.json atomically (temp file + rename). Throws the file system's error when the
 * folder is missing or not writable.
 *
 * @example
 * writeRuleSet('models/colon/rules.json', mineRules(timeline))
 */
export function writeRuleSet(path: string, rules: RuleSet): void {
  writeFileAtomic(path, ruleSetJson(rules));
}

/**
 * Applies a user's edits to a rule set: removes the rules named in `remove`, relaxes those in
 * `relax` (an id alone: soft, i.e. audited but neither enforced nor gated; with bounds: new
 * `max`, `min_day`, `max_day`), then adds `add` (origin user; an added rule with the id of an
 * existing one replaces it). Throws INVALID_INPUT naming `where` and the field when an id
 * is unknown.
 *
 * @example
 * applyRuleEdits(rules, { add: [], remove: ['max_count:RECURRENCE'], relax: [] }, 'edits.json')
 */
export function applyRuleEdits(set: RuleSet, edits: RuleEdits, where: string): RuleSet {
  const ids = new Set(set.rules.map(ruleId));
  edits.remove.forEach((id, k) => {
    if (!ids.has(id)) {
      throw new TrajsimError('INVALID_INPUT', unknownRuleMessage('remove', id, [...ids]), {
        file: where,
        field: `remove[${k}]`,
      });
    }
  });
  const removed = new Set(edits.remove);
  const relax = new Map<string, Exclude<RuleEdits['relax'][number], string> | 'soft'>();
  edits.relax.forEach((r, k) => {
    const id = typeof r === 'string' ? r : r.id;
    if (!ids.has(id)) {
      throw new TrajsimError('INVALID_INPUT', unknownRuleMessage('relax', id, [...ids]), {
        file: where,
        field: `relax[${k}]`,
      });
    }
    relax.set(id, typeof r === 'string' ? 'soft' : r);
  });
  const added = new Set(edits.add.map(ruleId));
  const kept: Rule[] = [];
  for (const rule of set.rules) {
    const id = ruleId(rule);
    if (removed.has(id) || added.has(id)) continue;
    const r = relax.get(id);
    if (r === undefined) kept.push(rule);
    else if (r === 'soft') kept.push({ ...rule, severity: 'soft' });
    else {
      let next: Rule = rule;
      if (r.max !== undefined && rule.kind === 'max_count') next = { ...rule, max: r.max };
      if (rule.kind === 'day_range') {
        next = {
          ...rule,
          ...(r.min_day !== undefined ? { min_day: r.min_day } : {}),
          ...(r.max_day !== undefined ? { max_day: r.max_day } : {}),
        };
      }
      kept.push(next);
    }
  }
  return { ...set, rules: [...kept, ...edits.add.map((r) => ({ ...r, origin: 'user' as const }))] };
}

/**
 * {@link applyRuleEdits} on a model's rules, or on an empty set when the model has none (only
 * the added rules then apply). Throws INVALID_INPUT as {@link applyRuleEdits}.
 *
 * @example
 * editRules(model.rules, readRuleEdits('my-rules.json'), 'my-rules.json').rules.length
 */
export function editRules(set: RuleSet | undefined, edits: RuleEdits, where: string): RuleSet {
  const base: RuleSet = set ?? {
    format: 'trajsim-rules',
    format_version: RULES_FORMAT_VERSION,
    source: { name: 'none', patients: 0, content_hash: '' },
    rules: [],
  };
  return applyRuleEdits(base, edits, where);
}
