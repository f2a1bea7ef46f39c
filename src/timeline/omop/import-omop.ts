import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { formatIsoDay, parseIsoDay } from '../../core/days.js';
import { TrajsimError } from '../../core/errors.js';
import type { Logger } from '../../core/messages.js';
import { csvField } from '../export.js';
import { importTimeline } from '../import.js';
import { readTableRecords } from '../table-source.js';
import { TERMINAL_CODES, type TimelineManifest } from '../types.js';
import { OMOP_ATTRIBUTE_PREFIX } from './export-omop.js';

export interface OmopImportOptions {
  /** Directory of OMOP CDM tables, CSV or Parquet (as written by exportOmop). */
  readonly omop: string;
  /** Output timeline directory. */
  readonly out: string;
  readonly name?: string;
  readonly overwrite?: boolean;
  readonly logger?: Logger;
}

/** The file of an OMOP table in `dir`: `table.csv`, else `table.parquet`; undefined when neither. */
function tableFile(dir: string, table: string): string | undefined {
  return [join(dir, `${table}.csv`), join(dir, `${table}.parquet`)].find((f) => existsSync(f));
}

/**
 * The rows of an OMOP table (CSV or Parquet) as cell readers by column name (none when the file
 * is absent); Parquet cells read as their CSV text (dates YYYY-MM-DD, nulls '').
 */
async function* rows(
  dir: string,
  table: string,
): AsyncGenerator<{ get: (c: string) => string; line: number; file: string }> {
  const path = tableFile(dir, table);
  if (path === undefined) return;
  let index: Map<string, number> | undefined;
  for await (const { fields, line } of readTableRecords(path)) {
    if (!index) {
      index = new Map(fields.map((f, i) => [f.trim(), i]));
      continue;
    }
    const at = index;
    yield { get: (c) => fields[at.get(c) ?? -1] ?? '', line, file: basename(path) };
  }
}

interface OmopEvent {
  readonly day: number;
  readonly seq: number;
  readonly order: number;
  readonly code: string;
  readonly value: string;
}

const EVENT_TABLES = [
  ['condition_occurrence', 'condition_start_date', 'condition_source_value', 'trajsim_value'],
  ['drug_exposure', 'drug_exposure_start_date', 'drug_source_value', 'trajsim_value'],
  ['procedure_occurrence', 'procedure_date', 'procedure_source_value', 'trajsim_value'],
  ['measurement', 'measurement_date', 'measurement_source_value', 'value_as_number'],
  ['observation', 'observation_date', 'observation_source_value', 'value_as_number'],
] as const;

/**
 * Reads OMOP CDM tables written by {@link exportOmop} back into a timeline (through
 * importTimeline, so every timeline check applies). patient_id = person_source_value,
 * index_date = observation_period_start_date, day = event date - index_date, code = the
 * source value, DEATH from the death table, END_OF_FOLLOWUP at observation_period_end_date for
 * a person without death. Same-day order comes from `trajsim_seq` (else date, then table order:
 * condition, drug, procedure, measurement, observation); attributes from OBSERVATION rows
 * `trajsim_attribute:NAME` (value_as_number: numeric; value_as_string: categorical), in the order
 * their `trajsim_seq` gives.
 *
 * @param options - the OMOP directory and the output timeline.
 * @throws TrajsimError INVALID_INPUT for a table row that names an unknown person or a bad date.
 * @example
 * await importOmop({ omop: 'out/colon-omop', out: 'out/colon-back' }) // => manifest of 929 patients
 */
export async function importOmop(options: OmopImportOptions): Promise<TimelineManifest> {
  const dir = options.omop;
  if (tableFile(dir, 'person') === undefined) {
    throw new TrajsimError(
      'IO',
      `no person.csv or person.parquet in ${dir}; expected OMOP CDM tables`,
    );
  }
  const persons = new Map<string, OmopPerson>();
  const order: string[] = [];
  for await (const r of rows(dir, 'person')) {
    persons.set(r.get('person_id'), {
      id: r.get('person_source_value'),
      index: Number.NaN,
      end: Number.NaN,
      events: [],
    });
    order.push(r.get('person_id'));
  }
  for await (const r of rows(dir, 'observation_period')) {
    const p = personOf(persons, r.get('person_id'), r.file, r.line);
    p.index = dayOf(
      r.get('observation_period_start_date'),
      r.file,
      'observation_period_start_date',
      r.line,
    );
    p.end = dayOf(
      r.get('observation_period_end_date'),
      r.file,
      'observation_period_end_date',
      r.line,
    );
  }
  const attributes = new Map<string, OmopAttribute>();
  let counter = 0;
  for (const [table, dateCol, sourceCol, valueCol] of EVENT_TABLES) {
    for await (const r of rows(dir, table)) {
      const p = personOf(persons, r.get('person_id'), r.file, r.line);
      const source = r.get(sourceCol);
      if (table === 'observation' && source.startsWith(OMOP_ATTRIBUTE_PREFIX)) {
        const name = source.slice(OMOP_ATTRIBUTE_PREFIX.length);
        const numeric = r.get('value_as_number') !== '';
        const a = attributes.get(name) ?? {
          kind: numeric ? 'numeric' : 'categorical',
          position: Number(r.get('trajsim_seq') || attributes.size),
          values: new Map(),
        };
        attributes.set(name, a);
        a.values.set(
          r.get('person_id'),
          numeric ? r.get('value_as_number') : r.get('value_as_string'),
        );
        continue;
      }
      const day = dayOf(r.get(dateCol), r.file, dateCol, r.line) - p.index;
      const seqText = r.get('trajsim_seq');
      p.events.push({
        day,
        seq: seqText === '' ? Number.NaN : Number(seqText),
        order: counter++,
        code: source,
        value: r.get(valueCol),
      });
    }
  }
  for await (const r of rows(dir, 'death')) {
    const p = personOf(persons, r.get('person_id'), r.file, r.line);
    const seqText = r.get('trajsim_seq');
    p.events.push({
      day: dayOf(r.get('death_date'), r.file, 'death_date', r.line) - p.index,
      seq: seqText === '' ? Number.POSITIVE_INFINITY : Number(seqText),
      order: counter++,
      code: TERMINAL_CODES.DEATH,
      value: '',
    });
  }
  const names = [...attributes.keys()].sort(
    (a, b) => attributes.get(a)!.position - attributes.get(b)!.position,
  );
  const tmp = mkdtempSync(join(tmpdir(), 'trajsim-omop-'));
  try {
    const { patientLines, eventLines } = timelineLines(order, persons, names, attributes, counter);
    writeFileSync(join(tmp, 'patients.csv'), `${patientLines.join('\n')}\n`);
    writeFileSync(join(tmp, 'events.csv'), `${eventLines.join('\n')}\n`);
    const categorical = names.filter((n) => attributes.get(n)!.kind === 'categorical');
    const numeric = names.filter((n) => attributes.get(n)!.kind === 'numeric');
    return await importTimeline({
      patients: join(tmp, 'patients.csv'),
      events: join(tmp, 'events.csv'),
      out: options.out,
      ...(options.name ? { name: options.name } : {}),
      categorical,
      numeric,
      overwrite: options.overwrite ?? false,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** A person of person.csv: its source id, observation period (epoch days) and events. */
interface OmopPerson {
  id: string;
  index: number;
  end: number;
  events: OmopEvent[];
}

/** A `trajsim_attribute:NAME` observation: its kind, column position and value per person_id. */
interface OmopAttribute {
  kind: 'numeric' | 'categorical';
  position: number;
  values: Map<string, string>;
}

/** The person of `personId`. Throws INVALID_INPUT naming the table row when there is none. */
function personOf(
  persons: Map<string, OmopPerson>,
  personId: string,
  file: string,
  line: number,
): OmopPerson {
  const p = persons.get(personId);
  if (!p) {
    throw new TrajsimError('INVALID_INPUT', `person_id '${personId}' is not in the person table`, {
      file,
      line,
      field: 'person_id',
    });
  }
  return p;
}

/** An OMOP date as an epoch day. Throws INVALID_INPUT naming the table row and field. */
function dayOf(text: string, file: string, field: string, line: number): number {
  const d = parseIsoDay(text);
  if (Number.isNaN(d)) {
    throw new TrajsimError('INVALID_INPUT', `'${text}' is not a valid date; expected YYYY-MM-DD`, {
      file,
      line,
      field,
    });
  }
  return d;
}

/**
 * The patients.csv and events.csv lines of the persons in `order` (END_OF_FOLLOWUP added for a
 * person without death; same-day order by trajsim_seq when every event has one, else day, then
 * table order). `counter` continues the table-order numbering.
 */
function timelineLines(
  order: readonly string[],
  persons: Map<string, OmopPerson>,
  names: readonly string[],
  attributes: Map<string, OmopAttribute>,
  counter: number,
): { patientLines: string[]; eventLines: string[] } {
  const patientLines = [['patient_id', 'index_date', ...names].map(csvField).join(',')];
  const eventLines = ['patient_id,day,code,value'];
  for (const key of order) {
    const p = persons.get(key)!;
    patientLines.push(
      [p.id, formatIsoDay(p.index), ...names.map((n) => attributes.get(n)!.values.get(key) ?? '')]
        .map(csvField)
        .join(','),
    );
    if (!p.events.some((e) => e.code === TERMINAL_CODES.DEATH)) {
      p.events.push({
        day: p.end - p.index,
        seq: Number.POSITIVE_INFINITY,
        order: counter++,
        code: TERMINAL_CODES.END_OF_FOLLOWUP,
        value: '',
      });
    }
    const withSeq = p.events.every((e) => !Number.isNaN(e.seq));
    p.events.sort((a, b) => (withSeq ? a.seq - b.seq : 0) || a.day - b.day || a.order - b.order);
    for (const e of p.events)
      eventLines.push(`${csvField(p.id)},${e.day},${csvField(e.code)},${e.value}`);
  }
  return { patientLines, eventLines };
}
