import type { z } from 'zod';
import { TrajsimError } from '../core/errors.js';
import { formatJsonPath, parseJsonText, readTextFile } from '../core/json-file.js';
import { type Scenario, scenarioSchema } from './schema.js';

/** `attributes.stage`, `criteria[0].within_days`: the JSON path of a zod issue (now in core). */
export { formatJsonPath };

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** The most specific message of a zod issue (unions report their closest branch). */
function describeIssue(
  issue: z.core.$ZodIssue,
  input: unknown,
): { path: readonly PropertyKey[]; message: string } {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // pick the branch the user was writing: first one whose issue names a field the input has
    // (a misspelled `distribution` value, not the missing `weights` of another branch), then
    // the one whose issues go deepest
    const here = valueAt(input, issue.path);
    const present = (sub: z.core.$ZodIssue): number =>
      sub.path.length > 0 && valueAt(here, sub.path.slice(0, 1)) !== undefined ? 1 : 0;
    let best: z.core.$ZodIssue | undefined;
    for (const branch of issue.errors) {
      for (const sub of branch) {
        if (
          !best ||
          present(sub) > present(best) ||
          (present(sub) === present(best) && sub.path.length > best.path.length)
        )
          best = sub;
      }
    }
    if (best && best.path.length > 0) {
      const inner = describeIssue(best, valueAt(input, issue.path));
      return { path: [...issue.path, ...inner.path], message: inner.message };
    }
  }
  if (issue.code === 'unrecognized_keys') {
    return {
      path: [...issue.path, issue.keys[0]!],
      message: `unknown field${issue.keys.length > 1 ? `s ${issue.keys.join(', ')}` : ''}; see schema/scenario.schema.json for the allowed fields`,
    };
  }
  const found = valueAt(input, issue.path);
  const shown = found === undefined ? '' : ` (found ${JSON.stringify(found)})`;
  return { path: issue.path, message: `${issue.message}${shown}` };
}

/**
 * Parses and validates a scenario from JSON text. Throws SCENARIO errors that name the file,
 * the JSON path of the bad field, the bad value and what is allowed.
 *
 * @example
 * parseScenario('{"name":"x","patients":0,"seed":1}', 'x.json')
 * // throws "x.json: patients: Too small: expected number to be >0 (found 0)"
 */
export function parseScenario(text: string, file: string): Scenario {
  const json = parseJsonText(text, file, 'SCENARIO');
  const parsed = scenarioSchema.safeParse(json);
  if (!parsed.success) {
    const { path, message } = describeIssue(parsed.error.issues[0]!, json);
    throw new TrajsimError('SCENARIO', message, { file, field: formatJsonPath(path) });
  }
  return parsed.data;
}

/**
 * Reads and validates a scenario file (see {@link parseScenario}).
 *
 * @example
 * loadScenario('scenarios/demo.json').patients // => the cohort size the scenario asks for
 */
export function loadScenario(path: string): Scenario {
  return parseScenario(readTextFile(path, 'scenario file not found'), path);
}
