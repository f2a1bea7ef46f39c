/**
 * A scenario compiled into generation hooks (issue 11 item 6: the scenario layer compiles, the
 * generate layer samples and writes): forced attribute values and events checked against the
 * model and its rules, the criteria as an accept hook, and the per-part tally of
 * requested-vs-achieved that generation.json reports.
 */
import { TrajsimError } from '../core/errors.js';
import { codeNotInVocabulary, interventionBreaksRuleMessage } from '../core/messages.js';
import type {
  ForcedEvent,
  GeneratedPatient,
  GenerationHooks,
} from '../generate/generation-types.js';
import type { GenerationModel } from '../generate/step-model.js';
import type { PartTally } from '../generate/write-generation.js';
import type { ForcedAttributeValue } from '../model/attribute-model.js';
import { checkForcedEvents } from '../rules/check-forced-events.js';
import { editRules } from '../rules/rules-file.js';
import { type ResolvedAttributeRequest, resolveAttributeRequests } from './attribute-requests.js';
import { compileCriteria } from './criteria.js';
import type { Scenario } from './schema.js';

/** Tallies of one part of a run; parts add up. */
export interface Tally {
  patients: number;
  events: number;
  candidates: number;
  capped: number;
  /** Per requested attribute: level counts (categorical) or [n, sum, min, max] (numeric). */
  attributes: number[][];
  criteriaMet: number[];
  criteriaCandidates: number;
  interventions: number[];
}

function emptyTally(
  requests: readonly ResolvedAttributeRequest[],
  criteria: number,
  interventions: number,
): Tally {
  return {
    patients: 0,
    events: 0,
    candidates: 0,
    capped: 0,
    // categorical: a count per level; numeric: [n, sum, min, max] (min/max valid when n > 0)
    attributes: requests.map((r) =>
      r.kind === 'categorical' ? new Array(r.requestedShares!.length).fill(0) : [0, 0, 0, 0],
    ),
    criteriaMet: new Array(criteria).fill(0),
    criteriaCandidates: 0,
    interventions: new Array(interventions).fill(0),
  };
}

function addNumeric(a: number[], n: number, sum: number, min: number, max: number): void {
  if (n === 0) return;
  a[2] = a[0]! > 0 ? Math.min(a[2]!, min) : min;
  a[3] = a[0]! > 0 ? Math.max(a[3]!, max) : max;
  a[0]! += n;
  a[1]! += sum;
}

function addTally(into: Tally, t: Tally, requests: readonly ResolvedAttributeRequest[]): void {
  into.patients += t.patients;
  into.events += t.events;
  into.candidates += t.candidates;
  into.capped += t.capped;
  into.criteriaCandidates += t.criteriaCandidates;
  t.criteriaMet.forEach((v, k) => {
    into.criteriaMet[k]! += v;
  });
  t.interventions.forEach((v, k) => {
    into.interventions[k]! += v;
  });
  requests.forEach((r, k) => {
    const a = t.attributes[k]!;
    const target = into.attributes[k]!;
    if (r.kind === 'numeric') addNumeric(target, a[0]!, a[1]!, a[2]!, a[3]!);
    else
      a.forEach((v, i) => {
        target[i]! += v;
      });
  });
}

/**
 * The model with the scenario's rule edits applied to its rules (a model without rules gets
 * only the added ones).
 *
 * @param file - the scenario file, named in rule errors.
 * @throws TrajsimError when an edit names an unknown rule or breaks the rule schema.
 * @example
 * withScenarioRules(model, scenario, 'scenario.json').rules // => the model's rules, edited
 */
export function withScenarioRules(
  model: GenerationModel,
  scenario: Scenario,
  file?: string,
): GenerationModel {
  if (!scenario.rules) return model;
  return {
    ...model,
    rules: editRules(model.rules, scenario.rules, `${file ?? 'scenario'}: rules`),
  };
}

/** A scenario compiled against a model ({@link compileScenario}). */
export interface CompiledScenario {
  readonly requests: readonly ResolvedAttributeRequest[];
  readonly fixed: ReadonlyMap<string, ForcedAttributeValue>;
  /** Interventions as forced events, sorted by day. */
  readonly forced: readonly ForcedEvent[];
}

/**
 * Forced attribute values and events of a scenario, checked against the model and its rules.
 *
 * @throws TrajsimError SCENARIO naming the field: an unknown attribute, level or code, an
 *   attribute both requested and set, an intervention that breaks a hard rule.
 * @example
 * compileScenario(scenario, model).forced // => [{ day: 30, code: 'TREATMENT:FOLFOX' }]
 */
export function compileScenario(scenario: Scenario, model: GenerationModel): CompiledScenario {
  const requests = resolveAttributeRequests(scenario.attributes, model.attributes);
  const fixed = new Map<string, ForcedAttributeValue>();
  scenario.interventions.forEach((iv, k) => {
    for (const [name, value] of Object.entries(iv.set_attribute ?? {})) {
      const where = `interventions[${k}].set_attribute.${name}`;
      const spec = model.attributes.find((a) => a.name === name);
      if (!spec) {
        throw new TrajsimError(
          'SCENARIO',
          `the model has no attribute '${name}'; it has: ${model.attributes.map((a) => a.name).join(', ')}`,
          { field: where },
        );
      }
      if (requests.some((r) => r.name === name)) {
        throw new TrajsimError(
          'SCENARIO',
          `attribute '${name}' is both requested in attributes and set by an intervention; keep one`,
          { field: where },
        );
      }
      if (spec.kind === 'categorical' && !spec.levels.includes(String(value))) {
        throw new TrajsimError(
          'SCENARIO',
          `'${value}' is not a level of ${name} the model knows; known levels: ${spec.levels.join(', ')}`,
          { field: where },
        );
      }
      if (spec.kind === 'numeric' && typeof value !== 'number') {
        throw new TrajsimError('SCENARIO', `${name} is numeric; set it to a number`, {
          field: where,
        });
      }
      fixed.set(name, spec.kind === 'categorical' ? String(value) : value);
    }
  });
  const codes = model.stepModel.codes;
  const forced: ForcedEvent[] = scenario.interventions
    .map((iv, k) => {
      if (!codes.includes(iv.code)) {
        throw new TrajsimError('SCENARIO', codeNotInVocabulary(iv.code, codes), {
          field: `interventions[${k}].code`,
        });
      }
      return {
        day: iv.day,
        code: iv.code,
        ...(iv.replaces ? { replaces: [iv.replaces] } : {}),
        ...(iv.value !== undefined ? { value: iv.value } : {}),
      };
    })
    .sort((a, b) => a.day - b.day);
  const fixedLevels = new Map<string, string | number>();
  for (const [name, value] of fixed) if (value !== null) fixedLevels.set(name, value);
  for (const [name, request] of Object.entries(scenario.attributes)) {
    if (typeof request !== 'object' && request !== 'as_trained') fixedLevels.set(name, request);
  }
  const conflicts = checkForcedEvents(
    model.rules?.rules ?? [],
    forced,
    fixedLevels,
    codes,
    model.attributes,
  );
  if (conflicts.length > 0) {
    const k = scenario.interventions.findIndex(
      (iv) => iv.code === forced[conflicts[0]!.index]!.code,
    );
    throw new TrajsimError('SCENARIO', interventionBreaksRuleMessage(conflicts[0]!.message), {
      field: `interventions[${k}]`,
    });
  }
  return { requests, fixed, forced };
}

/** The generation hooks of a compiled scenario. */
export interface ScenarioHooks extends GenerationHooks {
  /** Candidates seen and criteria met, counted by the accept hook. */
  readonly criteriaTally?: { readonly met: Float64Array; readonly candidates: number };
}

function hooksFor(
  model: GenerationModel,
  scenario: Scenario,
  compiled: CompiledScenario,
  tally: Tally,
): ScenarioHooks {
  const { requests, fixed, forced } = compiled;
  const codes = model.stepModel.codes;
  const forcedCodes = forced.map((f) => codes.indexOf(f.code));
  const criteria =
    scenario.criteria.length > 0
      ? compileCriteria(scenario.criteria, codes, model.stepModel.valuedCodes)
      : undefined;
  const hasForcedAttributes = requests.length > 0 || fixed.size > 0;
  return {
    ...(hasForcedAttributes
      ? {
          forcedAttributes: (_g, rng) => {
            const values: Record<string, ForcedAttributeValue> = Object.fromEntries(fixed);
            for (const r of requests) {
              const v = r.sample(rng);
              const spec = model.attributes[r.index]!;
              values[r.name] = spec.kind === 'categorical' ? spec.levels[v]! : v;
            }
            return values;
          },
        }
      : {}),
    ...(forced.length > 0 ? { forcedEvents: () => forced } : {}),
    ...(criteria
      ? {
          accept: (p: GeneratedPatient) =>
            criteria.accept(p.codes, p.days, 0, p.codes.length, p.values),
          criteriaTally: criteria.tally,
        }
      : {}),
    written: (p: GeneratedPatient) => {
      requests.forEach((r, k) => {
        const v = p.attributes[r.index]!;
        const a = tally.attributes[k]!;
        if (r.kind === 'categorical') {
          if (v >= 0) a[v]!++;
        } else if (!Number.isNaN(v)) addNumeric(a, 1, v, v, v);
      });
      // applied = the forced code on its own day (not any occurrence of the code: issue 18 #17)
      forcedCodes.forEach((c, k) => {
        const day = forced[k]!.day;
        for (let i = 0; i < p.codes.length; i++) {
          if (p.codes[i] === c && p.days[i] === day) {
            tally.interventions[k]!++;
            break;
          }
        }
      });
    },
  };
}

/**
 * The hooks of a scenario for a model (attributes, interventions, criteria with their tally),
 * without the written tally: what a generation worker recompiles from the scenario's JSON.
 * Throws SCENARIO like the main run does (unknown codes, attributes, levels, broken rules).
 *
 * @example
 * compileScenarioHooks(model, scenario).accept?.(patient) // => true when the criteria hold
 */
export function compileScenarioHooks(model: GenerationModel, scenario: Scenario): ScenarioHooks {
  const compiled = compileScenario(scenario, model);
  const tally = emptyTally(compiled.requests, scenario.criteria.length, compiled.forced.length);
  const { written: _written, ...hooks } = hooksFor(model, scenario, compiled, tally);
  return hooks;
}

/**
 * The per-part tally of a scenario run for the generation path (src/generate/write-generation.ts):
 * each part's hooks count attributes, interventions and criteria into the part's tally; after
 * the part, its counts (and the criteria tally, kept by the accept hook here or returned by
 * worker threads) are settled into it; parts add up.
 *
 * @example
 * const t = scenarioTally(model, scenario, compileScenario(scenario, model));
 * t.hooks(t.empty()).accept?.(patient) // => true when the criteria hold
 */
export function scenarioTally(
  model: GenerationModel,
  scenario: Scenario,
  compiled: CompiledScenario,
): PartTally<Tally, ScenarioHooks> {
  return {
    empty: () => emptyTally(compiled.requests, scenario.criteria.length, compiled.forced.length),
    hooks: (tally) => hooksFor(model, scenario, compiled, tally),
    settle: (tally, hooks, sampled) => {
      const criteria = sampled.criteria ?? hooks.criteriaTally;
      if (criteria) {
        tally.criteriaCandidates = criteria.candidates;
        tally.criteriaMet = Array.from(criteria.met);
      }
      tally.patients += sampled.counts.written;
      tally.events += sampled.counts.events;
      tally.candidates += sampled.counts.candidates;
      tally.capped += sampled.counts.capped;
    },
    add: (into, part) => addTally(into, part, compiled.requests),
  };
}
