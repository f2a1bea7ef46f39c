import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrajsimError } from '../../src/core/errors.js';
import { importTimeline } from '../../src/timeline/import.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('malformed');

const PATIENTS = `patient_id,index_date,stage,age
P1,2020-01-01,II,60
P2,2020-02-01,III,70
`;
const EVENTS = `patient_id,day,code,value
P1,0,DIAGNOSIS,
P1,100,RECURRENCE,
P1,200,DEATH,
P2,0,DIAGNOSIS,
P2,300,END_OF_FOLLOWUP,
`;
/** Twelve patients with a numeric age column, for column-type cases. */
const MANY_PATIENTS = `patient_id,index_date,age\n${Array.from({ length: 12 }, (_, i) => `Q${i},2020-01-01,${50 + i}`).join('\n')}\n`;
const MANY_EVENTS = `patient_id,day,code,value\n${Array.from({ length: 12 }, (_, i) => `Q${i},0,DIAGNOSIS,\nQ${i},9,DEATH,`).join('\n')}\n`;

interface Case {
  readonly name: string;
  readonly patients?: string | Buffer;
  readonly events?: string | Buffer;
  readonly patientsFile?: string;
  readonly eventsFile?: string;
  readonly options?: { categorical?: string[]; numeric?: string[] };
  readonly code: string;
  readonly file?: string;
  readonly line?: number;
  readonly field?: string;
  readonly message: RegExp;
}

const withLine = (text: string, lineNo: number, replacement: string): string => {
  const lines = text.split('\n');
  lines[lineNo - 1] = replacement;
  return lines.join('\n');
};

const CASES: Case[] = [
  {
    name: 'empty patients file',
    patients: '',
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 1,
    message: /file is empty/,
  },
  {
    name: 'empty events file',
    events: '',
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 1,
    message: /file is empty/,
  },
  {
    name: 'patients header only',
    patients: 'patient_id,index_date,stage,age\n',
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 2,
    message: /no patients/,
  },
  {
    name: 'missing index_date column',
    patients: 'patient_id,stage\nP1,II\n',
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 1,
    message: /missing required column 'index_date'/,
  },
  {
    name: 'missing day column',
    events: 'patient_id,code\nP1,DEATH\n',
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 1,
    message: /missing required column 'day'/,
  },
  {
    name: 'duplicate column name',
    patients: 'patient_id,index_date,age,age\nP1,2020-01-01,1,2\n',
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 1,
    message: /'age' appears twice/,
  },
  {
    name: 'empty column name',
    patients: 'patient_id,index_date,\nP1,2020-01-01,1\n',
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 1,
    message: /column 3 has an empty name/,
  },
  {
    name: 'duplicate patient id',
    patients: withLine(PATIENTS, 3, 'P1,2020-02-01,III,70'),
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 3,
    field: 'patient_id',
    message: /'P1' is a duplicate \(first on line 2\)/,
  },
  {
    name: 'empty patient id',
    patients: withLine(PATIENTS, 3, ',2020-02-01,III,70'),
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 3,
    field: 'patient_id',
    message: /patient_id is empty/,
  },
  {
    name: 'month 13',
    patients: withLine(PATIENTS, 2, 'P1,2020-13-01,II,60'),
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 2,
    field: 'index_date',
    message: /'2020-13-01' is not a valid date/,
  },
  {
    name: 'February 30',
    patients: withLine(PATIENTS, 3, 'P2,2021-02-30,III,70'),
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 3,
    field: 'index_date',
    message: /'2021-02-30' is not a valid date/,
  },
  {
    name: 'US date format',
    patients: withLine(PATIENTS, 2, 'P1,01/02/2020,II,60'),
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 2,
    field: 'index_date',
    message: /expected YYYY-MM-DD/,
  },
  {
    name: 'too few fields',
    patients: withLine(PATIENTS, 3, 'P2,2020-02-01,III'),
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 3,
    message: /row has 3 fields; the header has 4/,
  },
  {
    name: 'too many fields',
    events: withLine(EVENTS, 4, 'P1,200,DEATH,,extra'),
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 4,
    message: /row has 5 fields; the header has 4/,
  },
  {
    name: 'negative day',
    events: withLine(EVENTS, 3, 'P1,-5,RECURRENCE,'),
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 3,
    field: 'day',
    message: /day -5 is negative/,
  },
  {
    name: 'fractional day',
    events: withLine(EVENTS, 3, 'P1,12.5,RECURRENCE,'),
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 3,
    field: 'day',
    message: /'12.5' is not an integer/,
  },
  {
    name: 'text day',
    events: withLine(EVENTS, 3, 'P1,abc,RECURRENCE,'),
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 3,
    field: 'day',
    message: /'abc' is not an integer/,
  },
  {
    name: 'empty day',
    events: withLine(EVENTS, 3, 'P1,,RECURRENCE,'),
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 3,
    field: 'day',
    message: /day is empty/,
  },
  {
    name: 'huge day',
    events: withLine(EVENTS, 4, 'P1,99999999999,DEATH,'),
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 4,
    field: 'day',
    message: /too large/,
  },
  {
    name: 'unknown patient',
    events: withLine(EVENTS, 5, 'P9,0,DIAGNOSIS,'),
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 5,
    field: 'patient_id',
    message: /'P9' is not in patients.csv/,
  },
  {
    name: 'unsorted days',
    events: withLine(EVENTS, 3, 'P1,100,RECURRENCE,').replace('P1,0,DIAGNOSIS', 'P1,150,DIAGNOSIS'),
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 3,
    field: 'day',
    message: /day 100 comes after day 150 \(line 2\)/,
  },
  {
    name: 'missing terminal',
    events: withLine(EVENTS, 4, 'P1,200,PROGRESSION,'),
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 4,
    message: /patient P1 has no terminal event: its last event is PROGRESSION on day 200/,
  },
  {
    name: 'double terminal',
    events: `${EVENTS}P2,300,END_OF_FOLLOWUP,\n`,
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 7,
    message:
      /second terminal event END_OF_FOLLOWUP on day 300 \(first: END_OF_FOLLOWUP on day 300, line 6\)/,
  },
  {
    name: 'event after death',
    events:
      'patient_id,day,code,value\nP1,0,DIAGNOSIS,\nP1,790,DEATH,\nP1,812,RECURRENCE,\nP2,0,END_OF_FOLLOWUP,\n',
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 4,
    message:
      /patient P1 has an event \(RECURRENCE\) on day 812 after its terminal DEATH on day 790 \(line 3\)/,
  },
  {
    name: 'same-day event after terminal',
    events: withLine(EVENTS, 4, 'P1,200,DEATH,\nP1,200,RECURRENCE,'),
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 5,
    message: /after its terminal DEATH on day 200/,
  },
  {
    name: 'patient without events',
    events: 'patient_id,day,code,value\nP1,0,DEATH,\n',
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 3,
    message: /patient P2 has no events/,
  },
  {
    name: 'empty code',
    events: withLine(EVENTS, 3, 'P1,100,,'),
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 3,
    field: 'code',
    message: /code is empty/,
  },
  {
    name: 'text value',
    events: withLine(EVENTS, 3, 'P1,100,RECURRENCE,high'),
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 3,
    field: 'value',
    message: /'high' is not a finite number/,
  },
  {
    name: 'overflowing value',
    events: withLine(EVENTS, 3, 'P1,100,RECURRENCE,1e400'),
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 3,
    field: 'value',
    message: /'1e400' is not a finite number/,
  },
  {
    name: 'stray text in a numeric column',
    patients: withLine(MANY_PATIENTS, 8, 'Q6,2020-01-01,sixty'),
    events: MANY_EVENTS,
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 8,
    field: 'age',
    message: /'sixty' is not a number, but 11 of 12 values/,
  },
  {
    name: 'overflowing attribute',
    patients: withLine(MANY_PATIENTS, 4, 'Q2,2020-01-01,1e999'),
    events: MANY_EVENTS,
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 4,
    field: 'age',
    message: /out of the range of a 64-bit float/,
  },
  {
    name: 'declared numeric column with text',
    options: { numeric: ['stage'] },
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 2,
    field: 'stage',
    message: /'II' is not a number \(column declared --numeric\)/,
  },
  {
    name: 'declared column that does not exist',
    options: { categorical: ['grade'] },
    code: 'INVALID_ARGUMENT',
    message: /names 'grade', which is not an attribute column/,
  },
  {
    name: 'non-UTF-8 bytes in events',
    events: Buffer.concat([
      Buffer.from('patient_id,day,code,value\nP1,0,DIAGNOSIS,\nP1,100,RECURRENCE'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(',\nP1,200,DEATH,\nP2,0,END_OF_FOLLOWUP,\n'),
    ]),
    code: 'INVALID_INPUT',
    file: 'events.csv',
    line: 3,
    message: /not valid UTF-8/,
  },
  {
    name: 'Latin-1 patients file',
    patients: Buffer.concat([
      Buffer.from('patient_id,index_date,stage,age\nP1,2020-01-01,II,60\nP2,2020-02-01,'),
      Buffer.from([0xc9]),
      Buffer.from('t,70\n'),
    ]),
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 3,
    message: /not valid UTF-8/,
  },
  {
    name: 'unterminated quote',
    patients: withLine(PATIENTS, 3, 'P2,2020-02-01,"III,70'),
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 3,
    message: /unterminated quoted field/,
  },
  {
    name: 'text after closing quote',
    patients: withLine(PATIENTS, 3, '"P2"x,2020-02-01,III,70'),
    code: 'INVALID_INPUT',
    file: 'patients.csv',
    line: 3,
    message: /after a closing quote/,
  },
  {
    name: 'truncated Arrow file',
    patientsFile: 'patients.arrow',
    patients: Buffer.from([0x41, 0x52, 0x52, 0x4f, 0x57, 0x31, 0, 0, 0xff, 0xff]),
    code: 'INVALID_INPUT',
    file: 'patients.arrow',
    message: /not a readable Arrow IPC file/,
  },
  {
    name: 'truncated Parquet file',
    patientsFile: 'patients.parquet',
    patients: 'PAR1',
    code: 'INVALID_INPUT',
    file: 'patients.parquet',
    message: /not a readable Parquet file/,
  },
  {
    name: 'unknown extension',
    eventsFile: 'events.xlsx',
    code: 'INVALID_ARGUMENT',
    message: /unknown extension '.xlsx'/,
  },
];

describe('import refuses malformed input with its exact location and writes nothing', () => {
  it('has a corpus of at least 30 malformed inputs', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  CASES.forEach((c, i) => {
    it(c.name, async () => {
      const dir = join(root, `case-${i}`);
      mkdirSync(dir, { recursive: true });
      const pPath = join(dir, c.patientsFile ?? 'patients.csv');
      const ePath = join(dir, c.eventsFile ?? 'events.csv');
      writeFileSync(pPath, c.patients ?? PATIENTS);
      writeFileSync(ePath, c.events ?? EVENTS);
      const out = join(dir, 'out');
      const error = await importTimeline({
        patients: pPath,
        events: ePath,
        out,
        ...c.options,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TrajsimError);
      const e = error as TrajsimError;
      expect(e.reason).toMatch(c.message);
      expect(e.code).toBe(c.code);
      if (c.file !== undefined) expect(e.file).toBe(c.file);
      if (c.line !== undefined) expect(e.line).toBe(c.line);
      if (c.field !== undefined) expect(e.field).toBe(c.field);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir).filter((n) => n.includes('tmp'))).toEqual([]);
    });
  });

  it('refuses to replace a non-empty output directory without overwrite, and leaves it untouched', async () => {
    const dir = join(root, 'occupied');
    mkdirSync(join(dir, 'out'), { recursive: true });
    writeFileSync(join(dir, 'out', 'keep.txt'), 'mine');
    writeFileSync(join(dir, 'patients.csv'), PATIENTS);
    writeFileSync(join(dir, 'events.csv'), EVENTS);
    await expect(
      importTimeline({
        patients: join(dir, 'patients.csv'),
        events: join(dir, 'events.csv'),
        out: join(dir, 'out'),
      }),
    ).rejects.toThrow(/exists and is not empty/);
    expect(readdirSync(join(dir, 'out'))).toEqual(['keep.txt']);
  });
});
