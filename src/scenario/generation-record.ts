/**
 * generation.json: what a generation run was asked, what it made, and how (the resolved
 * scenario, the model fingerprint, seed, shard, counts and the requested-vs-achieved table).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatIsoDay } from '../core/days.js';
import type { Shard } from '../core/shard.js';
import { VERSION } from '../core/version.js';
import type { ForcedEvent } from '../generate/generation-types.js';
import type { GenerationModel } from '../generate/step-model.js';
import { ruleId } from '../rules/rule-schema.js';
import type { TimelineManifest } from '../timeline/types.js';
import type { ResolvedAttributeRequest } from './attribute-requests.js';
import { describeCriterion } from './criteria.js';
import type { Tally } from './scenario-hooks.js';
import type { Scenario } from './schema.js';

/** generation.json: what was asked, what was made, and how. */
export interface GenerationRecord {
  readonly format: 'trajsim-generation';
  readonly formatVersion: 1;
  readonly trajsimVersion: string;
  readonly scenario: Scenario;
  readonly scenarioFile: string | null;
  readonly model: {
    readonly dir: string;
    readonly kind: string;
    readonly fingerprint: string;
    readonly description: string;
  };
  readonly seed: string | number;
  readonly shard: {
    readonly index: number;
    readonly count: number;
    readonly firstPatient: number;
    readonly patients: number;
  };
  readonly backend: string | null;
  readonly horizonDays: number;
  readonly indexDates: { readonly from: string; readonly to: string };
  readonly counts: {
    readonly patients: number;
    readonly events: number;
    readonly candidates: number;
    readonly cappedByMaxEvents: number;
  };
  readonly requestedVsAchieved: {
    readonly attributes: readonly {
      readonly attribute: string;
      readonly requested: string;
      readonly levels?: readonly {
        readonly level: string;
        readonly requested: number;
        readonly achieved: number;
      }[];
      readonly achieved?: {
        readonly mean: number;
        readonly min: number;
        readonly max: number;
        readonly requestedMean: number | null;
      };
    }[];
    readonly criteria: {
      readonly pilot: { readonly candidates: number; readonly acceptanceRate: number } | null;
      readonly acceptanceRate: number;
      readonly perCriterion: readonly { readonly criterion: string; readonly metRate: number }[];
    };
    readonly interventions: readonly {
      readonly code: string;
      readonly day: number;
      readonly patientsWithEvent: number;
      readonly share: number;
    }[];
  };
  /** Ids of the plausibility rules in force (model rules.json with --rules and scenario edits). */
  readonly rules: { readonly hard: readonly string[]; readonly soft: readonly string[] };
  readonly seconds: number;
}

/**
 * Hash of every file of a model folder, sorted by name: identifies the exact model.
 *
 * @example
 * modelFingerprint('models/default') // => a hex SHA-256 of the model's files
 */
export function modelFingerprint(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    hash.update(name).update(readFileSync(path));
  }
  return hash.digest('hex');
}

/** The criteria's acceptance rate estimated by a pilot (null without criteria). */
export type PilotResult = { candidates: number; acceptanceRate: number } | null;

/** What generation.json records of a run besides its tally: the run's settings, as resolved. */
export interface RecordContext {
  readonly scenario: Scenario;
  readonly scenarioFile: string | undefined;
  readonly modelDir: string;
  readonly backend: string | undefined;
  /** The model with the scenario's rules applied. */
  readonly model: GenerationModel;
  readonly fingerprint: string;
  readonly shard: Shard;
  /** The shard's patients: global indices [first, end). */
  readonly first: number;
  readonly end: number;
  readonly horizonDays: number;
  readonly indexDayRange: readonly [number, number];
  readonly compiled: {
    readonly requests: readonly ResolvedAttributeRequest[];
    readonly forced: readonly ForcedEvent[];
  };
  readonly pilot: PilotResult;
  /** performance.now() when the run began. */
  readonly started: number;
}

/** The requested-vs-achieved table of generation.json, from the run's tally. */
function requestedVsAchieved(
  job: RecordContext,
  tally: Tally,
): GenerationRecord['requestedVsAchieved'] {
  const { compiled, model, scenario, pilot } = job;
  return {
    attributes: compiled.requests.map((r, k) => {
      const a = tally.attributes[k]!;
      if (r.kind === 'categorical') {
        const spec = model.attributes[r.index] as { levels: readonly string[] };
        const total = a.reduce((s, v) => s + v, 0);
        return {
          attribute: r.name,
          requested: r.requested,
          levels: spec.levels.map((level, i) => ({
            level,
            requested: r.requestedShares![i]!,
            achieved: total > 0 ? a[i]! / total : Number.NaN,
          })),
        };
      }
      return {
        attribute: r.name,
        requested: r.requested,
        achieved: {
          mean: a[0]! > 0 ? a[1]! / a[0]! : Number.NaN,
          min: a[0]! > 0 ? a[2]! : Number.NaN,
          max: a[0]! > 0 ? a[3]! : Number.NaN,
          requestedMean: r.requestedMean ?? null,
        },
      };
    }),
    criteria: {
      pilot,
      acceptanceRate: tally.candidates > 0 ? tally.patients / tally.candidates : 1,
      perCriterion: scenario.criteria.map((c, k) => ({
        criterion: describeCriterion(c),
        metRate:
          tally.criteriaCandidates > 0
            ? tally.criteriaMet[k]! / tally.criteriaCandidates
            : Number.NaN,
      })),
    },
    interventions: compiled.forced.map((f, k) => ({
      code: f.code,
      day: f.day,
      patientsWithEvent: tally.interventions[k]!,
      share: tally.patients > 0 ? tally.interventions[k]! / tally.patients : Number.NaN,
    })),
  };
}

/**
 * generation.json of a finished run, from its context, its tally (summed over every part) and
 * the manifest of the written timeline.
 *
 * @example
 * generationRecord(context, tally, manifest).counts.patients // => manifest.counts.patients
 */
export function generationRecord(
  job: RecordContext,
  tally: Tally,
  manifest: TimelineManifest,
): GenerationRecord {
  const { scenario, model, fingerprint, shard, first, end, indexDayRange } = job;
  return {
    format: 'trajsim-generation',
    formatVersion: 1,
    trajsimVersion: VERSION,
    scenario,
    scenarioFile: job.scenarioFile ?? null,
    model: { dir: job.modelDir, kind: model.kind, fingerprint, description: model.description },
    seed: scenario.seed,
    shard: { index: shard.index, count: shard.count, firstPatient: first, patients: end - first },
    backend: job.backend ?? null,
    horizonDays: job.horizonDays,
    indexDates: { from: formatIsoDay(indexDayRange[0]), to: formatIsoDay(indexDayRange[1]) },
    counts: {
      patients: manifest.counts.patients,
      events: manifest.counts.events,
      candidates: tally.candidates,
      cappedByMaxEvents: tally.capped,
    },
    requestedVsAchieved: requestedVsAchieved(job, tally),
    rules: {
      hard: (model.rules?.rules ?? []).filter((r) => r.severity === 'hard').map(ruleId),
      soft: (model.rules?.rules ?? []).filter((r) => r.severity === 'soft').map(ruleId),
    },
    seconds: (performance.now() - job.started) / 1000,
  };
}
