import { AtomicDir, describeIoError } from '../../core/atomic-output.js';
import { formatIsoDay } from '../../core/days.js';
import { TrajsimError } from '../../core/errors.js';
import { type Logger, MESSAGES, omopUnmappedCodes, SILENT_LOGGER } from '../../core/messages.js';
import { readTimeline } from '../read.js';
import { TERMINAL_CODES, type Timeline } from '../types.js';
import {
  type ConceptMapping,
  EPISODE_ROLES,
  type OmopDomain,
  readConceptMap,
} from './concept-map.js';
import { type OmopCell, type OmopFormat, OmopTable } from './omop-table.js';

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
export type OmopTableName = keyof typeof OMOP_TABLES;

const TABLE_OF: Record<OmopDomain, OmopTableName> = {
  Condition: 'condition_occurrence',
  Drug: 'drug_exposure',
  Procedure: 'procedure_occurrence',
  Measurement: 'measurement',
  Observation: 'observation',
};

export interface OmopExportOptions {
  /** Concept-map CSV (code,domain,concept_id,episode_role); without it every code is unmapped. */
  readonly conceptMap?: string;
  /** Table file format: 'csv' (default, `<table>.csv`) or 'parquet' (`<table>.parquet`, typed). */
  readonly format?: OmopFormat;
  readonly overwrite?: boolean;
  readonly logger?: Logger;
}

/** What an OMOP export wrote. */
export interface OmopExportSummary {
  /** Rows per CDM table. */
  readonly rows: Record<OmopTableName, number>;
  /** Codes with no concept-map row and their event counts (written to OBSERVATION, concept 0). */
  readonly unmapped: Record<string, number>;
}

/**
 * Exports a timeline as OMOP CDM v5.4 tables (person, observation_period,
 * condition_occurrence, drug_exposure, procedure_occurrence, measurement, observation, death,
 * and the oncology extension's episode and episode_event) into `out`, atomically, as CSV or
 * Parquet files. Dates are index_date + day. Codes map through the concept map; an unmapped code
 * goes to OBSERVATION with concept 0 and its source value, and is counted and warned about
 * (never dropped). What OMOP cannot carry is kept in trailing trajsim-specific columns:
 * `trajsim_seq` (the event's position within its patient: same-day order) and `trajsim_value`
 * (an event value in a table without a value column); attributes go to OBSERVATION rows on
 * index_date with source value `trajsim_attribute:NAME` (numeric in value_as_number,
 * categorical in value_as_string). In Parquet, ids and concepts are Int32, dates Date32, values
 * Float64, source values Utf8, and a missing cell is null.
 *
 * @param dir - the timeline directory.
 * @param out - the output directory.
 * @throws TrajsimError for a bad concept map or an unwritable output.
 * @example
 * await exportOmop('out/colon', 'out/colon-omop', { conceptMap: 'data/omop-concept-map.csv', format: 'parquet' })
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
  const tables = Object.fromEntries(
    Object.entries(OMOP_TABLES).map(([k, header]) => [k, new OmopTable(header)]),
  ) as Record<OmopTableName, OmopTable>;
  const unmapped: Record<string, number> = {};
  for (let p = 0; p < t.patients.ids.length; p++) addPatient(t, p, map, tables, unmapped);
  const format = options.format ?? 'csv';
  const target = AtomicDir.create(out, {
    overwrite: options.overwrite ?? false,
    kind: 'export',
    inputs: [dir],
    logger,
  });
  try {
    for (const name of Object.keys(OMOP_TABLES) as OmopTableName[]) {
      await tables[name].write(target.file(`${name}.${format}`), format);
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
  const rows = Object.fromEntries(Object.entries(tables).map(([k, v]) => [k, v.rows])) as Record<
    OmopTableName,
    number
  >;
  return { rows, unmapped };
}

/** Adds patient `p`'s rows to every table (its person, period, attributes, events, episodes). */
function addPatient(
  t: Timeline,
  p: number,
  map: ReadonlyMap<string, ConceptMapping>,
  tables: Record<OmopTableName, OmopTable>,
  unmapped: Record<string, number>,
): void {
  const codes = t.events.codes;
  const ageAttr = t.patients.attributes.find((a) => a.name === 'age' && a.kind === 'numeric');
  const personId = p + 1;
  const index = t.patients.indexDay[p]!;
  const year = Number(formatIsoDay(index).slice(0, 4));
  const age = ageAttr?.kind === 'numeric' ? ageAttr.values[p]! : Number.NaN;
  const birthYear = Number.isNaN(age) ? year : year - Math.floor(age);
  tables.person.push([personId, 0, birthYear, 0, 0, t.patients.ids[p]!]);
  addAttributeRows(t.patients.attributes, p, personId, index, tables.observation);
  const first = t.offsets[p]!;
  const last = t.offsets[p + 1]! - 1;
  const end = index + t.events.day[last]!;
  const period = tables.observation_period;
  period.push([period.rows + 1, personId, index, end, TYPE_EHR]);
  const openEpisodes: { row: number; role: string }[] = [];
  for (let i = first; i <= last; i++) {
    const code = codes[t.events.code[i]!]!;
    const seq = i - first;
    const date = index + t.events.day[i]!;
    const value = t.events.value[i]!;
    if (code === TERMINAL_CODES.DEATH) {
      tables.death.push([personId, date, TYPE_EHR, seq]);
      continue;
    }
    if (code === TERMINAL_CODES.END_OF_FOLLOWUP) continue; // the observation period's end
    const m = map.get(code);
    if (!m) unmapped[code] = (unmapped[code] ?? 0) + 1;
    const domain: OmopDomain = m?.domain ?? 'Observation';
    const concept = m?.conceptId ?? 0;
    const table = tables[TABLE_OF[domain]];
    const id = table.rows + 1;
    table.push(eventRow(domain, id, personId, concept, date, code, seq, value));
    if (m?.episodeRole) {
      const isTreatment = m.episodeRole === 'treatment_regimen';
      // a disease episode ends where the next disease episode starts; a regimen where the next regimen starts
      for (let k = openEpisodes.length - 1; k >= 0; k--) {
        if ((openEpisodes[k]!.role === 'treatment_regimen') === isTreatment) {
          tables.episode.setNumber(openEpisodes[k]!.row, 'episode_end_date', date);
          openEpisodes.splice(k, 1);
        }
      }
      const episodeId = tables.episode.rows + 1;
      openEpisodes.push({ row: tables.episode.rows, role: m.episodeRole });
      tables.episode.push([
        episodeId,
        personId,
        EPISODE_ROLES[m.episodeRole],
        date,
        Number.NaN,
        concept,
        TYPE_EHR,
        code,
      ]);
      tables.episode_event.push([episodeId, id, EVENT_FIELD_CONCEPTS[domain]]);
    }
  }
  for (const open of openEpisodes) tables.episode.setNumber(open.row, 'episode_end_date', end);
}

/** The row of one event in its domain's table (value in that table's value column). */
function eventRow(
  domain: OmopDomain,
  id: number,
  personId: number,
  concept: number,
  date: number,
  src: string,
  seq: number,
  value: number,
): OmopCell[] {
  switch (domain) {
    case 'Condition':
      return [id, personId, concept, date, TYPE_EHR, src, seq, value];
    case 'Drug':
      return [id, personId, concept, date, date, TYPE_EHR, src, seq, value];
    case 'Procedure':
      return [id, personId, concept, date, TYPE_EHR, src, seq, value];
    case 'Measurement':
      return [id, personId, concept, date, TYPE_EHR, value, src, seq];
    case 'Observation':
      return [id, personId, concept, date, TYPE_EHR, value, '', src, seq];
  }
}

/** Adds the OBSERVATION rows of patient `p`'s attributes on index_date (missing values skipped). */
function addAttributeRows(
  attrs: Timeline['patients']['attributes'],
  p: number,
  personId: number,
  indexDay: number,
  observation: OmopTable,
): void {
  for (const [position, a] of attrs.entries()) {
    const source = `${OMOP_ATTRIBUTE_PREFIX}${a.name}`;
    const id = observation.rows + 1;
    if (a.kind === 'numeric') {
      if (Number.isNaN(a.values[p]!)) continue;
      observation.push([id, personId, 0, indexDay, TYPE_EHR, a.values[p]!, '', source, position]);
    } else {
      const c = a.codes[p]!;
      if (c < 0) continue;
      observation.push([
        id,
        personId,
        0,
        indexDay,
        TYPE_EHR,
        Number.NaN,
        a.levels[c]!,
        source,
        position,
      ]);
    }
  }
}
