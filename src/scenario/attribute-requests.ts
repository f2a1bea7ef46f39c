import { TrajsimError } from '../core/errors.js';
import { distributionOverflow, weightsOverflow } from '../core/messages.js';
import type { Rng } from '../core/rng.js';
import type { AttributeSpec } from '../timeline/types.js';
import type { AttributeRequest } from './schema.js';

/**
 * Draws one requested attribute value for a patient: a level index for categorical attributes,
 * a number for numeric ones.
 */
export type AttributeSampler = (rng: Rng) => number;

/** What the scenario asks of one attribute, resolved against the model's attribute schema. */
export interface ResolvedAttributeRequest {
  readonly name: string;
  readonly index: number;
  readonly kind: 'categorical' | 'numeric';
  /** Human description for requested-vs-achieved. */
  readonly requested: string;
  /** Requested share per level (categorical; fixed value = 1 for that level). */
  readonly requestedShares?: readonly number[];
  /** Requested mean (numeric), where defined. */
  readonly requestedMean?: number;
  readonly sample: AttributeSampler;
}

const MAX_REDRAWS = 10_000;

function levelOf(
  spec: { name: string; levels: readonly string[] },
  value: string | number,
  where: string,
): number {
  const text = String(value);
  const i = spec.levels.indexOf(text);
  if (i < 0) {
    throw new TrajsimError(
      'SCENARIO',
      `'${text}' is not a level of ${spec.name} the model knows; known levels: ${spec.levels.join(', ')}`,
      { field: where },
    );
  }
  return i;
}

function truncatedDraw(draw: () => number, min: number, max: number, where: string): number {
  for (let k = 0; k < MAX_REDRAWS; k++) {
    const x = draw();
    if (!Number.isFinite(x))
      throw new TrajsimError('SCENARIO', distributionOverflow(), { field: where });
    if (x >= min && x <= max) return x;
  }
  throw new TrajsimError(
    'SCENARIO',
    `the distribution almost never falls inside [${min}, ${max}]`,
    { field: where },
  );
}

/**
 * Resolves `scenario.attributes` against the model's attribute schema. Throws SCENARIO naming
 * `attributes.<name>` for an attribute the model does not have (listing those it has), a
 * level it never saw (listing its levels), or a request of the wrong kind.
 *
 * @example
 * resolveAttributeRequests({ stage: 'III' }, [{ name: 'stage', kind: 'categorical', levels: ['I','II','III','IV'] }])
 * // => [{ name: 'stage', index: 0, kind: 'categorical', requested: 'III', requestedShares: [0,0,1,0], ... }]
 */
export function resolveAttributeRequests(
  requests: Readonly<Record<string, AttributeRequest>>,
  attributes: readonly AttributeSpec[],
): ResolvedAttributeRequest[] {
  const out: ResolvedAttributeRequest[] = [];
  for (const [name, request] of Object.entries(requests)) {
    const where = `attributes.${name}`;
    const index = attributes.findIndex((a) => a.name === name);
    if (index < 0) {
      throw new TrajsimError(
        'SCENARIO',
        `the model has no attribute '${name}'; it has: ${attributes.map((a) => `${a.name} (${a.kind})`).join(', ')}`,
        { field: where },
      );
    }
    if (request === 'as_trained') continue;
    const spec = attributes[index]!;
    if (spec.kind === 'categorical') {
      if (typeof request === 'string' || typeof request === 'number') {
        const level = levelOf(spec, request, where);
        const shares = spec.levels.map((_, i) => (i === level ? 1 : 0));
        out.push({
          name,
          index,
          kind: 'categorical',
          requested: String(request),
          requestedShares: shares,
          sample: () => level,
        });
      } else if ('weights' in request) {
        const weights = new Float64Array(spec.levels.length);
        for (const [level, w] of Object.entries(request.weights))
          weights[levelOf(spec, level, `${where}.weights.${level}`)] = w;
        const total = weights.reduce((s, w) => s + w, 0);
        if (!Number.isFinite(total))
          throw new TrajsimError('SCENARIO', weightsOverflow(), { field: `${where}.weights` });
        if (!(total > 0))
          throw new TrajsimError('SCENARIO', 'weights must not all be zero', {
            field: `${where}.weights`,
          });
        out.push({
          name,
          index,
          kind: 'categorical',
          requested: Object.entries(request.weights)
            .map(([l, w]) => `${l}:${w}`)
            .join(', '),
          requestedShares: Array.from(weights, (w) => w / total),
          sample: (rng) => rng.categorical(weights),
        });
      } else {
        throw new TrajsimError(
          'SCENARIO',
          `${name} is categorical (levels ${spec.levels.join(', ')}); give a level, {"weights": {...}} or "as_trained", not a numeric distribution`,
          { field: where },
        );
      }
      continue;
    }
    if (typeof request === 'number') {
      out.push({
        name,
        index,
        kind: 'numeric',
        requested: String(request),
        requestedMean: request,
        sample: () => request,
      });
    } else if (typeof request === 'string' || 'weights' in request) {
      throw new TrajsimError(
        'SCENARIO',
        `${name} is numeric; give a number, a distribution ({"distribution": "normal", "mean": .., "sd": .., "min": .., "max": ..}) or "as_trained"`,
        { field: where },
      );
    } else {
      const min = request.min ?? Number.NEGATIVE_INFINITY;
      const max = request.max ?? Number.POSITIVE_INFINITY;
      const d = request;
      checkDistributionFinite(d, min, max, where);
      const draw: (rng: Rng) => number =
        d.distribution === 'uniform'
          ? (rng) => min + (max - min) * rng.uniform()
          : d.distribution === 'normal'
            ? (rng) => truncatedDraw(() => d.mean! + d.sd! * rng.normal(), min, max, where)
            : (rng) =>
                truncatedDraw(() => Math.exp(d.mean! + d.sd! * rng.normal()), min, max, where);
      const bounds = `${Number.isFinite(min) ? `, min ${min}` : ''}${Number.isFinite(max) ? `, max ${max}` : ''}`;
      out.push({
        name,
        index,
        kind: 'numeric',
        requested:
          d.distribution === 'uniform'
            ? `uniform(${min}, ${max})`
            : `${d.distribution}(mean ${d.mean}, sd ${d.sd}${bounds})`,
        ...(d.distribution === 'uniform' ? { requestedMean: (min + max) / 2 } : {}),
        sample: draw,
      });
    }
  }
  return out;
}

/** Largest x with exp(x) finite in binary64. */
const MAX_EXP_ARGUMENT = 709;

/**
 * Refuses a numeric distribution whose draws would overflow to ±Infinity: a uniform range
 * wider than the largest double, a normal whose mean ± 40 sd is not finite, a lognormal whose
 * log-mean + 10 sd passes exp's range (issue 18 #15).
 */
function checkDistributionFinite(
  d: { distribution: string; mean?: number | undefined; sd?: number | undefined },
  min: number,
  max: number,
  where: string,
): void {
  const mean = d.mean ?? 0;
  const sd = d.sd ?? 0;
  const bad =
    d.distribution === 'uniform'
      ? !Number.isFinite(max - min)
      : d.distribution === 'normal'
        ? !Number.isFinite(Math.abs(mean) + 40 * sd)
        : mean + 10 * sd > MAX_EXP_ARGUMENT || !Number.isFinite(Math.abs(mean) + 10 * sd);
  if (bad) throw new TrajsimError('SCENARIO', distributionOverflow(), { field: where });
}
