/**
 * The input surfaces the fuzz suite drives, each as "run one case, then check the outcome":
 * success, or a user error (a TrajsimError, or a value the CLI describes as one) printed as
 * one line, with nothing left in the case folder but its inputs. Shared by the generated cases
 * (fuzz.test.ts) and the replay of every case that ever failed (regressions.test.ts).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { describeUserError } from '../../src/cli/user-errors.js';
import { TrajsimError } from '../../src/core/errors.js';
import { loadModel } from '../../src/model/read-model.js';
import { compileRules } from '../../src/rules/compile-rules.js';
import { editRules, parseRuleEdits, readModelRules } from '../../src/rules/rules-file.js';
import { resolveAttributeRequests } from '../../src/scenario/attribute-requests.js';
import { parseScenario } from '../../src/scenario/load-scenario.js';
import { importTimeline } from '../../src/timeline/import.js';
import { readTimeline } from '../../src/timeline/read.js';
import { judgeMetric, parseThresholds, thresholdFor } from '../../src/validate/thresholds.js';

/** A stored case: which surface and its input. */
export type FuzzCase =
  | { surface: 'csv'; patients: string; events: string }
  | { surface: 'scenario'; text: string }
  | { surface: 'thresholds'; text: string }
  | { surface: 'model'; manifest: string | null; weightsLength: number; weightsPatch: number[] }
  | { surface: 'cli'; argv: string[] }
  | { surface: 'rules'; kind: 'model' | 'edits'; text: string };

/** Checks that `error` is what a user must see: a known user error, one line. */
export function expectUserError(error: unknown): void {
  if (error instanceof TrajsimError) expect(error.code).not.toBe('INTERNAL');
  const user = describeUserError(error);
  if (!user) throw error; // an internal error: the fuzzer found a bug
  expect(user.message.includes('\n'), `multi-line message: ${JSON.stringify(user.message)}`).toBe(
    false,
  );
}

/** The folder holds only these names (nothing written, no temporaries left). */
export function expectOnly(dir: string, names: readonly string[]): void {
  expect(readdirSync(dir).sort()).toEqual([...names].sort());
}

/** Import of a patients/events CSV pair: success (a readable timeline) or a user error; nothing written on error. */
export async function runCsvCase(
  dir: string,
  c: { patients: string; events: string },
): Promise<'ok' | 'refused'> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'patients.csv'), c.patients);
  writeFileSync(join(dir, 'events.csv'), c.events);
  const out = join(dir, 'out');
  try {
    await importTimeline({
      patients: join(dir, 'patients.csv'),
      events: join(dir, 'events.csv'),
      out,
    });
  } catch (error) {
    expectUserError(error);
    expectOnly(dir, ['patients.csv', 'events.csv']);
    return 'refused';
  }
  const t = await readTimeline(out);
  expect(t.patients.ids.length).toBeGreaterThan(0);
  return 'ok';
}

const MODEL_ATTRIBUTES = [
  { name: 'sex', kind: 'categorical' as const, levels: ['female', 'male'] },
  { name: 'rx', kind: 'categorical' as const, levels: ['Lev', 'Lev+5FU', 'Obs'] },
  { name: 'age', kind: 'numeric' as const },
];

/** A scenario text: parsed and resolved against a model's attributes, or a user error. */
export function runScenarioCase(text: string): 'ok' | 'refused' {
  try {
    const s = parseScenario(text, 'fuzz.json');
    resolveAttributeRequests(s.attributes, MODEL_ATTRIBUTES);
    return 'ok';
  } catch (error) {
    expectUserError(error);
    return 'refused';
  }
}

/** A thresholds text: parsed and applied to a few metrics, or a user error. */
export function runThresholdsCase(text: string): 'ok' | 'refused' {
  let t: ReturnType<typeof parseThresholds>;
  try {
    t = parseThresholds(text, 'fuzz-thresholds.json');
  } catch (error) {
    expectUserError(error);
    return 'refused';
  }
  for (const id of ['os.km.sup', 'ngrams.2.tvd', 'constraints.violations', 'x']) {
    const verdict = judgeMetric(thresholdFor(t, id), 0.5, 2);
    expect([true, false, null]).toContain(verdict.pass);
  }
  return 'ok';
}

/**
 * A model folder made from `base` (a copy of models/default): manifest replaced (null: removed),
 * weights.bin cut or padded to `weightsLength` bytes, then bytes patched (pairs of offset, byte).
 */
export function runModelCase(
  base: string,
  dir: string,
  c: { manifest: string | null; weightsLength: number; weightsPatch: number[] },
): 'ok' | 'refused' {
  cpSync(base, dir, { recursive: true });
  if (c.manifest === null) writeFileSync(join(dir, 'manifest.json'), '');
  else writeFileSync(join(dir, 'manifest.json'), c.manifest);
  const weights = Buffer.alloc(c.weightsLength);
  const original = readFileSync(join(base, 'weights.bin'));
  original.copy(weights, 0, 0, Math.min(original.length, c.weightsLength));
  for (let i = 0; i + 1 < c.weightsPatch.length; i += 2) {
    const at = c.weightsPatch[i]!;
    if (at < weights.length) weights[at] = c.weightsPatch[i + 1]! & 255;
  }
  writeFileSync(join(dir, 'weights.bin'), weights);
  try {
    loadModel(dir);
    return 'ok';
  } catch (error) {
    expectUserError(error);
    return 'refused';
  }
}

/** The CLI in-process: exit 2 with one error line (plus commander's usage hint), or 0; `out` never half-written. */
export async function runCliCase(argv: readonly string[], out: string): Promise<number> {
  let stderr = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  let code: number;
  try {
    code = await runCli([...argv]);
  } finally {
    err.mockRestore();
    stdout.mockRestore();
  }
  expect(stderr, stderr).not.toMatch(/internal error|^\s+at /m);
  if (code !== 0) {
    expect(code, stderr).toBe(2);
    const lines = stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('(run with --help') && !l.startsWith('warning ['));
    expect(lines.length, stderr).toBeLessThanOrEqual(1);
    expect(existsSync(out), `${out} written by a failed run`).toBe(false);
  }
  return code;
}

/** The codes and attributes rules are compiled against (those of models/default's training data). */
const RULE_CODES = [
  'DIAGNOSIS',
  'TREATMENT_START:Lev',
  'TREATMENT_START:Obs',
  'RECURRENCE',
  'DEATH',
];

/**
 * A rules text: as a model folder's rules.json (`kind: 'model'`, read from `dir`) or as a
 * `--rules` edits file applied to models/default's rules (`kind: 'edits'`), then compiled;
 * or a user error naming the file (nothing written either way).
 */
export function runRulesCase(
  dir: string,
  c: { kind: 'model' | 'edits'; text: string },
): 'ok' | 'refused' {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'rules.json');
  writeFileSync(file, c.text);
  try {
    const set =
      c.kind === 'model'
        ? readModelRules(dir)
        : editRules(readModelRules('models/default'), parseRuleEdits(c.text, file), file);
    if (set) compileRules(set.rules, RULE_CODES, MODEL_ATTRIBUTES);
    expectOnly(dir, ['rules.json']);
    return 'ok';
  } catch (error) {
    expectUserError(error);
    expect(describeUserError(error)?.message).toContain('rules.json');
    expectOnly(dir, ['rules.json']);
    return 'refused';
  }
}
