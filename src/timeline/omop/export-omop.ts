import { writeFileSync } from 'node:fs';
import { AtomicDir, describeIoError } from '../../core/atomic-output.js';
import { formatIsoDay } from '../../core/days.js';
import { TrajsimError } from '../../core/errors.js';
import { type Logger, MESSAGES, omopUnmappedCodes, SILENT_LOGGER } from '../../core/messages.js';
import { csvField } from '../export.js';
import { readTimeline } from '../read.js';
import { TERMINAL_CODES, type Timeline } from '../types.js';
import {
  type ConceptMapping,
  EPISODE_ROLES,
  type OmopDomain,
  readConceptMap,
} from './concept-map.js';

/** EHR record type (the type concept of every row written). */
const TYPE_EHR = 32817;
/** Field concepts naming the event table of an EPISODE_EVENT row (CDM v5.4 metadata). */
const EVENT_FIELD_CONCEPTS: Record<OmopDomain, number> = {
  Condition: 1147127,
  Drug: 1147094,
  Procedure: 1147082,
  Measurement: 1147138,
  Observation: 1147165,
};
/** Attribute rows in OBSERVATION carry this source value prefix. */
export const OMOP_ATTRIBUTE_PREFIX = 'trajsim_attribute:';

/** The CDM tables written, in order, with their header (trajsim_* columns are trajsim-specific). */
export const OMOP_TABLES = {
  person:
    'person_id,gender_concept_id,year_of_birth,race_concept_id,ethnicity_concept_id,person_source_value',
  observation_period:
    'observation_period_id,person_id,observation_period_start_date,observation_period_end_date,period_type_concept_id',
  condition_occurrence:
    'condition_occurrence_id,person_id,condition_concept_id,condition_start_date,condition_type_concept_id,condition_source_value,trajsim_seq,trajsim_value',
  drug_exposure:
    'drug_exposure_id,person_id,drug_concept_id,drug_exposure_start_date,drug_exposure_end_date,drug_type_concept_id,drug_source_value,trajsim_seq,trajsim_value',
  procedure_occurrence:
    'procedure_occurrence_id,person_id,procedure_concept_id,procedure_date,procedure_type_concept_id,procedure_source_value,trajsim_seq,trajsim_value',
  measurement:
    'measurement_id,person_id,measurement_concept_id,measurement_date,measurement_type_concept_id,value_as_number,measurement_source_value,trajsim_seq',
  observation:
    'observation_id,person_id,observation_concept_id,observation_date,observation_type_concept_id,value_as_number,value_as_string,observation_source_value,trajsim_seq',
  death: 'person_id,death_date,death_type_concept_id,trajsim_seq',
  episode:
    'episode_id,person_id,episode_concept_id,episode_start_date,episode_end_date,episode_object_concept_id,episode_type_concept_id,episode_source_value',
  episode_event: 'episode_id,event_id,episode_event_field_concept_id',
} as const;
export type OmopTable = keyof typeof OMOP_TABLES;

const TABLE_OF: Record<OmopDomain, OmopTable> = {
  Condition: 'condition_occurrence',
  Drug: 'drug_exposure',
  Procedure: 'procedure_occurrence',
  Measurement: 'measurement',
  Observation: 'observation',
};

export interface OmopExportOptions {
  /** Concept-map CSV (code,domain,concept_id,episode_role); without it every code is unmapped. */
  readonly conceptMap?: string;
  readonly overwrite?: boolean;
  readonly logger?: Logger;
}

/** What an OMOP export wrote. */
export interface OmopExportSummary {
  /** Rows per CDM table. */
  readonly rows: Record<OmopTable, number>;
  /** Codes with no concept-map row and their event counts (written to OBSERVATION, concept 0). */
  readonly unmapped: Record<string, number>;
}

const num = (v: number) => (Number.isNaN(v) ? '' : String(v));

/**
 * Exports a timeline as OMOP CDM v5.4 CSV tables (person, observation_period,
 * condition_occurrence, drug_exposure, procedure_occurrence, measurement, observation, death,
 * and the oncology extension's episode and episode_event) into `out`, atomically. Dates are
 * index_date + day. Codes map through the concept map; an unmapped code goes to OBSERVATION with
 * concept 0 and its source value, and is counted and warned about (never dropped). What OMOP
 * cannot carry is kept in trailing trajsim-specific columns: `trajsim_seq` (the event's position
 * within its patient: same-day order) and `trajsim_value` (an event value in a table without a
 * value column); attributes go to OBSERVATION rows on index_date with source value
 * `trajsim_attribute:NAME` (numeric in value_as_number, categorical in value_as_string).
 *
 * @param dir - the timeline directory.
 * @param out - the output directory.
 * @throws TrajsimError for a bad concept map or an unwritable output.
 * @example
 * await exportOmop('out/colon', 'out/colon-omop', { conceptMap: 'data/omop-concept-map.csv' })
 * // => { rows: { person: 929, ... }, unmapped: {} }
 */
export async function exportOmop(
  dir: string,
  out: string,
  options: OmopExportOptions = {},
): Promise<OmopExportSummary> {
  const logger = options.logger ?? SILENT_LOGGER;
  const map = options.conceptMap
    ? await readConceptMap(options.conceptMap)
    : new Map<string, ConceptMapping>();
  const t = await readTimeline(dir);
  const lines = Object.fromEntries(
    Object.entries(OMOP_TABLES).map(([k, header]) => [k, [header]]),
  ) as Record<OmopTable, string[]>;
  const ids = Object.fromEntries(Object.keys(OMOP_TABLES).map((k) => [k, 0])) as Record<
    OmopTable,
    number
  >;
  const unmapped: Record<string, number> = {};
  const codes = t.events.codes;
  const attrs = t.patients.attributes;
  const ageAttr = attrs.find((a) => a.name === 'age' && a.kind === 'numeric');
  for (let p = 0; p < t.patients.ids.length; p++) {
    const personId = p + 1;
    const index = t.patients.indexDay[p]!;
    const indexDate = formatIsoDay(index);
    const year = Number(indexDate.slice(0, 4));
    const age = ageAttr?.kind === 'numeric' ? ageAttr.values[p]! : Number.NaN;
    const birthYear = Number.isNaN(age) ? year : year - Math.floor(age);
    lines.person.push(`${personId},0,${birthYear},0,0,${csvField(t.patients.ids[p]!)}`);
    lines.observation.push(...attributeRows(attrs, p, personId, indexDate, ids));
    const first = t.offsets[p]!;
    const last = t.offsets[p + 1]! - 1;
    const endDate = formatIsoDay(index + t.events.day[last]!);
    lines.observation_period.push(
      `${++ids.observation_period},${personId},${indexDate},${endDate},${TYPE_EHR}`,
    );
    const openEpisodes: { line: number; role: string }[] = [];
    for (let i = first; i <= last; i++) {
      const code = codes[t.events.code[i]!]!;
      const seq = i - first;
      const date = formatIsoDay(index + t.events.day[i]!);
      const value = t.events.value[i]!;
      if (code === TERMINAL_CODES.DEATH) {
        lines.death.push(`${personId},${date},${TYPE_EHR},${seq}`);
        continue;
      }
      if (code === TERMINAL_CODES.END_OF_FOLLOWUP) continue; // the observation period's end
      const m = map.get(code);
      if (!m) unmapped[code] = (unmapped[code] ?? 0) + 1;
      const domain: OmopDomain = m?.domain ?? 'Observation';
      const concept = m?.conceptId ?? 0;
      const table = TABLE_OF[domain];
      const id = ++ids[table];
      const src = csvField(code);
      lines[table].push(eventRow(domain, id, personId, concept, date, src, seq, value));
      if (m?.episodeRole) {
        const isTreatment = m.episodeRole === 'treatment_regimen';
        // a disease episode ends where the next disease episode starts; a regimen where the next regimen starts
        for (const open of openEpisodes) {
          if ((open.role === 'treatment_regimen') === isTreatment) {
            lines.episode[open.line] = lines.episode[open.line]!.replace('{END}', date);
          }
        }
        for (let k = openEpisodes.length - 1; k >= 0; k--) {
          if ((openEpisodes[k]!.role === 'treatment_regimen') === isTreatment)
            openEpisodes.splice(k, 1);
        }
        const episodeId = ++ids.episode;
        openEpisodes.push({ line: lines.episode.length, role: m.episodeRole });
        lines.episode.push(
          `${episodeId},${personId},${EPISODE_ROLES[m.episodeRole]},${date},{END},${concept},${TYPE_EHR},${src}`,
        );
        lines.episode_event.push(`${episodeId},${id},${EVENT_FIELD_CONCEPTS[domain]}`);
      }
    }
    for (const open of openEpisodes) {
      lines.episode[open.line] = lines.episode[open.line]!.replace('{END}', endDate);
    }
  }
  const target = AtomicDir.create(out, {
    overwrite: options.overwrite ?? false,
    kind: 'export',
    inputs: [dir],
    logger,
  });
  try {
    for (const table of Object.keys(OMOP_TABLES) as OmopTable[]) {
      writeFileSync(target.file(`${table}.csv`), `${lines[table].join('\n')}\n`);
    }
    target.commit();
  } catch (cause) {
    target.abort();
    throw new TrajsimError('IO', `cannot write the OMOP export: ${describeIoError(cause)}`, {
      file: out,
      cause,
    });
  }
  const total = Object.values(unmapped).reduce((s, n) => s + n, 0);
  if (total > 0) logger.warn(MESSAGES.OMOP_UNMAPPED, omopUnmappedCodes(unmapped));
  const rows = Object.fromEntries(
    Object.entries(lines).map(([k, v]) => [k, v.length - 1]),
  ) as Record<OmopTable, number>;
  return { rows, unmapped };
}

/** The row of one event in its domain's table (value in that table's value column). */
function eventRow(
  domain: OmopDomain,
  id: number,
  personId: number,
  concept: number,
  date: string,
  src: string,
  seq: number,
  value: number,
): string {
  switch (domain) {
    case 'Condition':
      return `${id},${personId},${concept},${date},${TYPE_EHR},${src},${seq},${num(value)}`;
    case 'Drug':
      return `${id},${personId},${concept},${date},${date},${TYPE_EHR},${src},${seq},${num(value)}`;
    case 'Procedure':
      return `${id},${personId},${concept},${date},${TYPE_EHR},${src},${seq},${num(value)}`;
    case 'Measurement':
      return `${id},${personId},${concept},${date},${TYPE_EHR},${num(value)},${src},${seq}`;
    case 'Observation':
      return `${id},${personId},${concept},${date},${TYPE_EHR},${num(value)},,${src},${seq}`;
  }
}

/** The OBSERVATION rows of patient `p`'s attributes on index_date (missing values skipped). */
function attributeRows(
  attrs: Timeline['patients']['attributes'],
  p: number,
  personId: number,
  indexDate: string,
  ids: Record<OmopTable, number>,
): string[] {
  const rows: string[] = [];
  for (const [position, a] of attrs.entries()) {
    const source = csvField(`${OMOP_ATTRIBUTE_PREFIX}${a.name}`);
    if (a.kind === 'numeric') {
      if (Number.isNaN(a.values[p]!)) continue;
      rows.push(
        `${++ids.observation},${personId},0,${indexDate},${TYPE_EHR},${num(a.values[p]!)},,${source},${position}`,
      );
    } else {
      const c = a.codes[p]!;
      if (c < 0) continue;
      rows.push(
        `${++ids.observation},${personId},0,${indexDate},${TYPE_EHR},,${csvField(a.levels[c]!)},${source},${position}`,
      );
    }
  }
  return rows;
}
