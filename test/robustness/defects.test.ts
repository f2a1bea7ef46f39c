/**
 * Regression tests of issue 18's defects fixed on branch f18-robustness; each failed before
 * its fix. Expected values come from the issue (what must be refused) and from hand-built
 * inputs, never from the code under test.
 */
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Binary,
  Field,
  Float64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { parseJsonText } from '../../src/core/json-file.js';
import { loadModel } from '../../src/model/read-model.js';
import { resolveAttributeRequests } from '../../src/scenario/attribute-requests.js';
import { parseScenario } from '../../src/scenario/load-scenario.js';
import { MAX_CSV_FIELD_CHARS } from '../../src/timeline/csv-reader.js';
import { exportTimeline } from '../../src/timeline/export.js';
import { importTimeline, MAX_DISTINCT_CODES } from '../../src/timeline/import.js';
import { readTimeline } from '../../src/timeline/read.js';
import { parseThresholds } from '../../src/validate/thresholds.js';
import { validateTimelineDirs } from '../../src/validate/validate-dirs.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('defects');
let n = 0;
const fresh = (): string => {
  const d = join(root, `c${n++}`);
  mkdirSync(d);
  return d;
};

const EVENTS = 'patient_id,day,code,value\nP1,0,DIAGNOSIS,\nP1,9,DEATH,\n';

async function importError(patients: string, events: string, dir: string) {
  try {
    await importTimeline({ patients, events, out: join(dir, 'out') });
  } catch (e) {
    return e as { code: string; message: string; line?: number; field?: string };
  }
  throw new Error('import succeeded');
}

describe('#7 CSV field and record length are capped', () => {
  it('a stray quote fails fast with the line where the field starts', async () => {
    const d = fresh();
    const body = Array.from({ length: 20_000 }, (_, i) => `P${i},2020-01-01,${i}`).join('\n');
    writeFileSync(
      join(d, 'patients.csv'),
      `patient_id,index_date,age\nP,2020-01-01,"60\n${body}\n`,
    );
    writeFileSync(join(d, 'events.csv'), EVENTS);
    const e = await importError(join(d, 'patients.csv'), join(d, 'events.csv'), d);
    expect(e.code).toBe('RESOURCE');
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/longer than 65536 characters/);
    expect(MAX_CSV_FIELD_CHARS).toBe(65_536);
  });
  it('a .csv symlinked to /dev/zero is refused, not read forever', async () => {
    const d = fresh();
    symlinkSync('/dev/zero', join(d, 'patients.csv'));
    writeFileSync(join(d, 'events.csv'), EVENTS);
    const e = await importError(join(d, 'patients.csv'), join(d, 'events.csv'), d);
    expect(e.code).toBe('RESOURCE');
    expect(e.line).toBe(1);
  });
});

function writeArrow(path: string, table: Table): void {
  writeFileSync(path, tableToIPC(table, 'file'));
}

describe('#3 #21 Arrow column types are checked on read', () => {
  it('a Binary column is refused by name (it read "60" as its bytes)', async () => {
    const d = fresh();
    const age = makeData({
      type: new Binary(),
      length: 1,
      nullCount: 0,
      valueOffsets: new Int32Array([0, 2]),
      data: new Uint8Array([54, 48]),
    });
    const ids = vectorFromArray(['P1'], new Utf8()).data[0]!;
    const dates = vectorFromArray(['2020-01-01'], new Utf8()).data[0]!;
    const schema = new Schema([
      new Field('patient_id', new Utf8()),
      new Field('index_date', new Utf8()),
      new Field('age', new Binary()),
    ]);
    const struct = makeData({
      type: new Struct(schema.fields),
      length: 1,
      nullCount: 0,
      children: [ids, dates, age],
    });
    writeArrow(join(d, 'patients.arrow'), new Table(schema, [new RecordBatch(schema, struct)]));
    writeFileSync(join(d, 'events.csv'), EVENTS);
    const e = await importError(join(d, 'patients.arrow'), join(d, 'events.csv'), d);
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.field).toBe('age');
    expect(e.message).toMatch(/Arrow type Binary is not supported/);
  });
  it('a Float64 attribute holding NaN or Infinity is refused with its row', async () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const d = fresh();
      const schema = new Schema([
        new Field('patient_id', new Utf8()),
        new Field('index_date', new Utf8()),
        new Field('age', new Float64()),
      ]);
      const cols = [
        vectorFromArray(['P1', 'P2'], new Utf8()).data[0]!,
        vectorFromArray(['2020-01-01', '2020-01-01'], new Utf8()).data[0]!,
        vectorFromArray([60, bad], new Float64()).data[0]!,
      ];
      const struct = makeData({
        type: new Struct(schema.fields),
        length: 2,
        nullCount: 0,
        children: cols,
      });
      writeArrow(join(d, 'patients.arrow'), new Table(schema, [new RecordBatch(schema, struct)]));
      writeFileSync(join(d, 'events.csv'), `${EVENTS}P2,0,DIAGNOSIS,\nP2,5,DEATH,\n`);
      const e = await importError(join(d, 'patients.arrow'), join(d, 'events.csv'), d);
      expect(e.code).toBe('INVALID_INPUT');
      expect(e.line).toBe(3);
      expect(e.field).toBe('age');
    }
  });
});

describe('#11 large vocabularies', () => {
  it(`refuses more than ${MAX_DISTINCT_CODES} distinct codes with the line of the first code too many`, async () => {
    const d = fresh();
    writeFileSync(join(d, 'patients.csv'), 'patient_id,index_date\nP1,2020-01-01\n');
    const lines = Array.from({ length: 10_001 }, (_, i) => `P1,0,C${i},`);
    writeFileSync(
      join(d, 'events.csv'),
      `patient_id,day,code,value\n${lines.join('\n')}\nP1,1,DEATH,\n`,
    );
    const e = await importError(join(d, 'patients.csv'), join(d, 'events.csv'), d);
    expect(e.code).toBe('RESOURCE');
    expect(e.line).toBe(10_002); // header + 10,000 accepted codes, the next is one too many
    expect(e.field).toBe('code');
  });
});

describe('#14 #20 export neutralises formulas and round-trips exactly', () => {
  it("ids, codes and levels starting with = + - @ TAB or ' are escaped; -0 and numeric-looking levels survive", async () => {
    const d = fresh();
    const ids = ['=1+1', '+P', '-P', '@SUM(A1)', '\tP', "'P", 'P'];
    const patients = ['patient_id,index_date,grade,score'];
    const events = ['patient_id,day,code,value'];
    ids.forEach((id, i) => {
      patients.push(
        `"${id}",2020-01-0${i + 1},${['1', '02', '-3', '1.0', '1', '02', '1'][i]},${i === 0 ? '-0' : i}`,
      );
      events.push(`"${id}",0,=CMD(),-0`, `"${id}",3,DEATH,`);
    });
    writeFileSync(join(d, 'patients.csv'), `${patients.join('\n')}\n`);
    writeFileSync(join(d, 'events.csv'), `${events.join('\n')}\n`);
    await importTimeline({
      patients: join(d, 'patients.csv'),
      events: join(d, 'events.csv'),
      out: join(d, 'a'),
      categorical: ['grade'],
    });
    await exportTimeline(join(d, 'a'), join(d, 'csv'));
    const csv = readFileSync(join(d, 'csv', 'events.csv'), 'utf8');
    // text cells (id, code) never start a formula; numbers (day, value) stay numbers
    for (const line of csv.split('\n').slice(1, -1)) {
      const [id, , code] = line.replace(/^"[^"]*"/, 'Q').split(',');
      expect(`${id}|${code}`).not.toMatch(/^[=+\-@\t]|\|[=+\-@\t]/);
    }
    expect(csv).toContain("'=1+1,0,'=CMD(),-0");
    await importTimeline({
      patients: join(d, 'csv', 'patients.csv'),
      events: join(d, 'csv', 'events.csv'),
      out: join(d, 'b'),
    });
    const a = await readTimeline(join(d, 'a'));
    const b = await readTimeline(join(d, 'b'));
    expect(b.patients.ids).toEqual(ids);
    expect(b.events.codes).toEqual(a.events.codes);
    expect(b.patients.attributes).toEqual(a.patients.attributes);
    expect(b.patients.attributes[0]).toMatchObject({
      kind: 'categorical',
      levels: ['-3', '02', '1', '1.0'],
    });
    expect(Object.is(b.events.value[0], -0)).toBe(true);
    expect(Array.from(b.events.value, (v) => Object.is(v, -0))).toEqual(
      Array.from(a.events.value, (v) => Object.is(v, -0)),
    );
  });
});

describe('#15 #18 scenario values that overflow or name the prototype', () => {
  const sex = [{ name: 'sex', kind: 'categorical' as const, levels: ['female', 'male'] }];
  const age = [{ name: 'age', kind: 'numeric' as const }];
  it('weights of 1e308 are refused, not turned into 0/0 shares', () => {
    expect(() =>
      resolveAttributeRequests({ sex: { weights: { male: 1e308, female: 1e308 } } }, sex),
    ).toThrow(/weights sum to more than the largest number/);
  });
  it('uniform -1e308..1e308 and lognormal mean 1000 are refused', () => {
    expect(() =>
      resolveAttributeRequests({ age: { distribution: 'uniform', min: -1e308, max: 1e308 } }, age),
    ).toThrow(/too large to represent/);
    expect(() =>
      resolveAttributeRequests({ age: { distribution: 'lognormal', mean: 1000, sd: 1 } }, age),
    ).toThrow(/too large to represent/);
  });
  it('__proto__ keys are refused by name and JSON path', () => {
    expect(() =>
      parseScenario(
        '{"name":"x","patients":1,"seed":1,"attributes":{"sex":{"weights":{"__proto__":1}}}}',
        's.json',
      ),
    ).toThrow("s.json: attributes.sex.weights.__proto__: the key '__proto__' is not allowed");
    expect(() =>
      parseThresholds('{"version":1,"defaults":{},"metrics":{"__proto__":{}}}', 't.json'),
    ).toThrow(/metrics.__proto__/);
  });
  it('a document nested 1,000,000 levels deep is a one-line error', () => {
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    expect(() => parseJsonText(deep, 'deep.json', 'SCENARIO')).toThrow(
      /nested more than 100 levels/,
    );
  });
});

describe('#16 non-finite weights are refused at load', () => {
  it('an all-NaN or all-Infinity weights.bin', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const d = join(fresh(), 'model');
      cpSync('models/default', d, { recursive: true });
      const size = readFileSync(join(d, 'weights.bin')).length / 4;
      writeFileSync(join(d, 'weights.bin'), Buffer.from(new Float32Array(size).fill(bad).buffer));
      expect(() => loadModel(d)).toThrow(/weight 0 \(in .+\) is NaN or infinite/);
    }
  });
});

describe('#12 #26 validate refuses comparisons that mean nothing', () => {
  async function timeline(dir: string, patients: number, withAge: boolean): Promise<string> {
    mkdirSync(dir, { recursive: true });
    const p = [withAge ? 'patient_id,index_date,age' : 'patient_id,index_date'];
    const e = ['patient_id,day,code,value'];
    for (let i = 0; i < patients; i++) {
      p.push(`P${i},2020-01-01${withAge ? `,${50 + i}` : ''}`);
      e.push(`P${i},0,DIAGNOSIS,`, `P${i},${10 + i},${i % 2 ? 'DEATH' : 'END_OF_FOLLOWUP'},`);
    }
    writeFileSync(join(dir, 'p.csv'), `${p.join('\n')}\n`);
    writeFileSync(join(dir, 'e.csv'), `${e.join('\n')}\n`);
    await importTimeline({
      patients: join(dir, 'p.csv'),
      events: join(dir, 'e.csv'),
      out: join(dir, 't'),
    });
    return join(dir, 't');
  }
  const options = { thresholds: { version: 1 as const, defaults: {}, metrics: {} }, seed: '1' };
  it('a synthetic timeline without the real attributes, and shards with different attributes', async () => {
    const d = fresh();
    const real = await timeline(join(d, 'real'), 30, true);
    const bare = await timeline(join(d, 'bare'), 30, false);
    const aged = await timeline(join(d, 'aged'), 30, true);
    await expect(validateTimelineDirs(real, [bare], options)).rejects.toThrow(
      /has no attribute age of the real data/,
    );
    await expect(validateTimelineDirs(bare, [aged, bare], options)).rejects.toThrow(
      /shards of one cohort have the same attributes/,
    );
  });
  it('2 real patients: a clear message, not "logRankTest: singular"', async () => {
    const d = fresh();
    const real = await timeline(join(d, 'real'), 2, true);
    const syn = await timeline(join(d, 'syn'), 30, true);
    await expect(validateTimelineDirs(real, [syn], options)).rejects.toThrow(
      /has 2 patients; validation needs at least 20 real patients/,
    );
  });
  it('min_acceptance_rate 1e-300 is refused in words, not "maxAttempts is 4.999999999999999e+301"', () => {
    expect(() =>
      parseScenario('{"name":"x","patients":1,"seed":1,"min_acceptance_rate":1e-300}', 's.json'),
    ).toThrow(
      /s.json: min_acceptance_rate: expected at least 1e-6 \(one accepted candidate in a million\)/,
    );
  });
});

describe('#20 timeline.json contentHash is verified on read', () => {
  it('an events.arrow with one value byte changed (still a valid Arrow file) is refused', async () => {
    const d = fresh();
    writeFileSync(join(d, 'p.csv'), 'patient_id,index_date\nP1,2020-01-01\n');
    writeFileSync(join(d, 'e.csv'), 'patient_id,day,code,value\nP1,0,DIAGNOSIS,1.5\nP1,7,DEATH,\n');
    await importTimeline({
      patients: join(d, 'p.csv'),
      events: join(d, 'e.csv'),
      out: join(d, 't'),
    });
    const path = join(d, 't', 'events.arrow');
    const bytes = readFileSync(path);
    const at = bytes.indexOf(Buffer.from(new Float64Array([1.5]).buffer));
    expect(at).toBeGreaterThan(0);
    bytes.writeDoubleLE(2.5, at);
    writeFileSync(path, bytes);
    await expect(readTimeline(join(d, 't'))).rejects.toThrow(
      /timeline.json: contentHash: patients.arrow and events.arrow are not the files/,
    );
  });
});
