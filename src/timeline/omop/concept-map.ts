import { basename } from 'node:path';
import { TrajsimError } from '../../core/errors.js';
import { readCsv } from '../csv-reader.js';

/** OMOP CDM domains an event code can map to (each is one CDM table). */
export const OMOP_DOMAINS = [
  'Condition',
  'Drug',
  'Procedure',
  'Measurement',
  'Observation',
] as const;
export type OmopDomain = (typeof OMOP_DOMAINS)[number];

/** Episode roles of the oncology extension, with their standard episode concept ids. */
export const EPISODE_ROLES = {
  first_occurrence: 32528,
  recurrence: 32529,
  progression: 32677,
  treatment_regimen: 32531,
} as const;
export type EpisodeRole = keyof typeof EPISODE_ROLES;

/** One row of a concept map: how a trajsim code is written to OMOP. */
export interface ConceptMapping {
  readonly code: string;
  readonly domain: OmopDomain;
  /** Standard concept id (0 = no matching concept). */
  readonly conceptId: number;
  readonly episodeRole: EpisodeRole | undefined;
}

/**
 * Reads a concept-map CSV: header `code,domain,concept_id,episode_role` (episode_role may be
 * empty; it is one of first_occurrence, recurrence, progression, treatment_regimen).
 *
 * @param path - the concept-map CSV.
 * @throws TrajsimError INVALID_INPUT naming file, line and field for a bad row or a duplicate code.
 * @example
 * (await readConceptMap('data/omop-concept-map.csv')).get('DIAGNOSIS')
 * // => { code: 'DIAGNOSIS', domain: 'Condition', conceptId: 443392, episodeRole: 'first_occurrence' }
 */
export async function readConceptMap(path: string): Promise<Map<string, ConceptMapping>> {
  const file = basename(path);
  const map = new Map<string, ConceptMapping>();
  let index: Map<string, number> | undefined;
  for await (const { fields, line } of readCsv(path)) {
    if (!index) {
      index = new Map(fields.map((f, i) => [f.trim(), i]));
      for (const need of ['code', 'domain', 'concept_id']) {
        if (!index.has(need)) {
          throw new TrajsimError('INVALID_INPUT', `missing required column '${need}'`, {
            file,
            line,
          });
        }
      }
      continue;
    }
    const get = (name: string) => fields[index!.get(name) ?? -1]?.trim() ?? '';
    const code = get('code');
    const domain = get('domain');
    const conceptText = get('concept_id');
    const role = get('episode_role');
    if (code === '')
      throw new TrajsimError('INVALID_INPUT', 'code is empty', { file, line, field: 'code' });
    if (!(OMOP_DOMAINS as readonly string[]).includes(domain)) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `domain '${domain}' is not one of ${OMOP_DOMAINS.join(', ')}`,
        { file, line, field: 'domain' },
      );
    }
    if (!/^\d+$/.test(conceptText)) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `concept_id '${conceptText}' is not a non-negative integer`,
        {
          file,
          line,
          field: 'concept_id',
        },
      );
    }
    if (role !== '' && !(role in EPISODE_ROLES)) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `episode_role '${role}' is not one of ${Object.keys(EPISODE_ROLES).join(', ')} (or empty)`,
        { file, line, field: 'episode_role' },
      );
    }
    if (map.has(code)) {
      throw new TrajsimError('INVALID_INPUT', `code '${code}' is mapped twice`, {
        file,
        line,
        field: 'code',
      });
    }
    map.set(code, {
      code,
      domain: domain as OmopDomain,
      conceptId: Number(conceptText),
      episodeRole: role === '' ? undefined : (role as EpisodeRole),
    });
  }
  return map;
}
