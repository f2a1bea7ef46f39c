/**
 * Fuzzing of every input surface (issue 18 item 1): CSV and Arrow timelines, scenario JSON,
 * thresholds JSON, model folders and CLI flags, with fast-check under a fixed seed (CI is
 * deterministic). Each generated case must end in success or a one-line user error with
 * nothing written. A failing case is shrunk by fast-check; store it in test/fuzz/regressions/
 * (regressions.test.ts replays them all). Rules JSON: src/rules does not exist on this branch.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DateDay,
  Float64,
  Int32,
  Int64,
  Table,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { importTimeline } from '../../src/timeline/import.js';
import { readTimeline } from '../../src/timeline/read.js';
import { runTrajsim } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import {
  expectOnly,
  expectUserError,
  runCliCase,
  runCsvCase,
  runModelCase,
  runRulesCase,
  runScenarioCase,
  runThresholdsCase,
} from './surfaces.js';

/** The fixed seed of every property (change it only to explore; keep what it finds as regressions). */
const SEED = 20_261_130;
const root = useTempDir('fuzz');
const counts: Record<string, { ok: number; refused: number }> = {};
const tally = (surface: string, outcome: 'ok' | 'refused') => {
  counts[surface] ??= { ok: 0, refused: 0 };
  counts[surface][outcome]++;
};
afterAll(() => {
  const total = Object.values(counts).reduce((s, c) => s + c.ok + c.refused, 0);
  // TRAJSIM_FUZZ_REPORT=file writes the outcome counts per surface (for the closing note)
  const report = process.env['TRAJSIM_FUZZ_REPORT'];
  if (report) writeFileSync(report, `${JSON.stringify({ total, counts }, null, 2)}\n`);
  // the count the issue asks for: at least 1,000 generated cases
  expect(total).toBeGreaterThanOrEqual(1000);
});
let caseNo = 0;
const caseDir = (label: string) => join(root, `${label}-${caseNo++}`);

const HOSTILE = [
  '',
  ' ',
  '"',
  '""',
  '"a',
  'a"b',
  ',',
  'NA',
  '-1',
  '-0',
  '0',
  '1e400',
  '-1e400',
  'NaN',
  'Infinity',
  '2147483647',
  '2147483648',
  '9999-12-31',
  '10000-01-01',
  '0000-01-01',
  '0001-01-01',
  '2020-02-30',
  '2020-1-1',
  '__proto__',
  'constructor',
  '=1+1',
  '+1',
  '@SUM(A1)',
  '\t',
  '\u0000',
  '\u001b[31m',
  '\u0007',
  '\u202e',
  '\ufeff',
  '\ud800',
  'DEATH',
  'END_OF_FOLLOWUP',
  'DIAGNOSIS',
  '1.5',
  '0x10',
  '١٢',
  'x'.repeat(70_000),
  '\r',
  '\n',
  '\r\n',
];
const hostile = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ maxLength: 12 }),
  fc.integer().map(String),
);

const PATIENTS =
  'patient_id,index_date,sex,age\nP1,2020-01-01,male,60\nP2,2020-02-01,female,70\nP3,2021-03-01,male,NA\n';
const EVENTS =
  'patient_id,day,code,value\nP1,0,DIAGNOSIS,\nP1,100,RECURRENCE,2.5\nP1,200,DEATH,\nP2,0,DIAGNOSIS,\nP2,300,END_OF_FOLLOWUP,\nP3,0,DIAGNOSIS,\nP3,10,DEATH,\n';

/** A text edit: replace a field, insert, delete, duplicate or drop a line, truncate. */
const textEdit = fc.oneof(
  fc.record({ op: fc.constant('field' as const), at: fc.nat(), value: hostile }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), value: hostile }),
  fc.record({
    op: fc.constant('delete' as const),
    at: fc.nat(),
    value: fc.nat({ max: 20 }).map(String),
  }),
  fc.record({ op: fc.constant('dupline' as const), at: fc.nat(), value: fc.constant('') }),
  fc.record({ op: fc.constant('dropline' as const), at: fc.nat(), value: fc.constant('') }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat(), value: fc.constant('') }),
);
type TextEdit = {
  op: 'field' | 'insert' | 'delete' | 'dupline' | 'dropline' | 'truncate';
  at: number;
  value: string;
};

function applyEdit(text: string, e: TextEdit): string {
  const at = e.at % (text.length + 1);
  switch (e.op) {
    case 'field': {
      const rows = text.split('\n').map((r) => r.split(','));
      const r = e.at % rows.length;
      const row = rows[r]!;
      row[Math.floor(e.at / rows.length) % row.length] = e.value;
      return rows.map((x) => x.join(',')).join('\n');
    }
    case 'insert':
      return text.slice(0, at) + e.value + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + Number(e.value));
    case 'dupline':
    case 'dropline': {
      const lines = text.split('\n');
      const i = e.at % lines.length;
      if (e.op === 'dupline') lines.splice(i, 0, lines[i]!);
      else lines.splice(i, 1);
      return lines.join('\n');
    }
    case 'truncate':
      return text.slice(0, at);
  }
}

describe('fuzz: CSV timelines', () => {
  it('300 mutated patients/events pairs import or are refused on one line, nothing written', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(textEdit, { minLength: 1, maxLength: 4 }),
        fc.array(textEdit, { maxLength: 3 }),
        async (pEdits, eEdits) => {
          const patients = pEdits.reduce(applyEdit, PATIENTS);
          const events = eEdits.reduce(applyEdit, EVENTS);
          tally('csv', await runCsvCase(caseDir('csv'), { patients, events }));
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('fuzz: Arrow timelines', () => {
  const column = fc.oneof(
    fc
      .array(fc.constantFrom(...HOSTILE.filter((h) => h.length < 100)), {
        minLength: 3,
        maxLength: 3,
      })
      .map((v) => ({ kind: 'utf8', v })),
    fc.array(fc.double(), { minLength: 3, maxLength: 3 }).map((v) => ({ kind: 'f64', v })),
    fc.array(fc.integer(), { minLength: 3, maxLength: 3 }).map((v) => ({ kind: 'i32', v })),
    fc
      .array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { minLength: 3, maxLength: 3 })
      .map((v) => ({ kind: 'i64', v })),
    fc
      .array(fc.integer({ min: -1e8, max: 1e8 }), { minLength: 3, maxLength: 3 })
      .map((v) => ({ kind: 'date', v })),
  );
  const vector = (c: { kind: string; v: unknown[] }) =>
    c.kind === 'utf8'
      ? vectorFromArray(c.v as string[], new Utf8())
      : c.kind === 'f64'
        ? vectorFromArray(c.v as number[], new Float64())
        : c.kind === 'i32'
          ? vectorFromArray(c.v as number[], new Int32())
          : c.kind === 'i64'
            ? vectorFromArray(c.v as bigint[], new Int64())
            : vectorFromArray(
                (c.v as number[]).map((d) => new Date(d * 86_400_000)),
                new DateDay(),
              );
  it('100 patients tables with random column types and values', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ id: column, date: column, age: column, sex: column }),
        fc.boolean(),
        async (cols, good) => {
          const dir = caseDir('arrow');
          mkdirSync(dir);
          const table = new Table({
            patient_id: good ? vectorFromArray(['P1', 'P2', 'P3'], new Utf8()) : vector(cols.id),
            index_date: good
              ? vectorFromArray(['2020-01-01', '2020-02-01', '2021-03-01'], new Utf8())
              : vector(cols.date),
            sex: vector(cols.sex),
            age: vector(cols.age),
          });
          writeFileSync(join(dir, 'patients.arrow'), tableToIPC(table, 'file'));
          writeFileSync(join(dir, 'events.csv'), EVENTS);
          try {
            await importTimeline({
              patients: join(dir, 'patients.arrow'),
              events: join(dir, 'events.csv'),
              out: join(dir, 'out'),
            });
          } catch (error) {
            expectUserError(error);
            expectOnly(dir, ['patients.arrow', 'events.csv']);
            tally('arrow', 'refused');
            return;
          }
          await readTimeline(join(dir, 'out'));
          tally('arrow', 'ok');
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
  });
});

const BASE_SCENARIO = {
  name: 'fuzz',
  patients: 100,
  seed: 7,
  index_date: { from: '2000-01-01', to: '2005-12-31' },
  attributes: {
    sex: { weights: { male: 1, female: 2 } },
    age: { distribution: 'normal', mean: 60, sd: 10, min: 18, max: 90 },
    rx: 'Obs',
  },
  criteria: [{ code: 'RECURRENCE', within_days: 730 }, { min_events: 2 }],
  interventions: [
    {
      code: 'TREATMENT_START:Lev',
      day: 0,
      replaces: 'TREATMENT_START:',
      set_attribute: { rx: 'Lev' },
    },
  ],
  horizon_days: 3650,
  min_acceptance_rate: 0.01,
};

/** Sets `value` at a path of keys (created as needed), or deletes the key when value is undefined. */
function setPath(doc: unknown, keys: readonly string[], value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  // own properties only, so a '__proto__' key is data (as JSON.parse makes it), never the prototype
  const own = (o: Record<string, unknown>, k: string, v: unknown) =>
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  let node: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) {
    const next = Object.hasOwn(node, k) ? node[k] : undefined;
    if (next === null || typeof next !== 'object') own(node, k, {});
    node = Object.getOwnPropertyDescriptor(node, k)!.value as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete node[last];
  else own(node, last, value);
  return copy;
}

function jsonEdits(paths: string[][]) {
  const key = fc.oneof(
    fc.constantFrom(...new Set(paths.flat())),
    fc.constantFrom('__proto__', 'constructor', '0', ''),
    fc.string({ maxLength: 6 }),
  );
  const path = fc.oneof(fc.constantFrom(...paths), fc.array(key, { minLength: 1, maxLength: 4 }));
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(
      1e308,
      -1e308,
      5e-324,
      -0,
      0,
      1e12,
      1e9,
      -1,
      0.5,
      'as_trained',
      '',
      '9999-12-31',
      '0001-01-01',
      null,
      true,
    ),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );
  return fc.array(fc.record({ path, value: fc.option(value, { nil: undefined }) }), {
    minLength: 1,
    maxLength: 4,
  });
}

const SCENARIO_PATHS = [
  ['name'],
  ['patients'],
  ['seed'],
  ['model'],
  ['index_date', 'from'],
  ['index_date', 'to'],
  ['attributes', 'sex'],
  ['attributes', 'sex', 'weights', 'male'],
  ['attributes', 'age', 'distribution'],
  ['attributes', 'age', 'mean'],
  ['attributes', 'age', 'sd'],
  ['attributes', 'age', 'min'],
  ['attributes', 'age', 'max'],
  ['attributes', 'rx'],
  ['attributes', 'stage'],
  ['criteria'],
  ['criteria', '0', 'within_days'],
  ['interventions', '0', 'day'],
  ['interventions', '0', 'set_attribute', 'rx'],
  ['horizon_days'],
  ['min_acceptance_rate'],
];

/** Raw text edits on the JSON text (breaks syntax, adds BOMs, __proto__ keys, deep nesting). */
const rawEdit = fc.oneof(
  fc.constant((t: string) => t.slice(0, Math.floor(t.length / 2))),
  fc.constant((t: string) => `\ufeff${t}`),
  fc.constant((t: string) => t.replace('{', '{"__proto__": {"x": 1},')),
  fc.constant((t: string) => `${'['.repeat(5000)}${t}${']'.repeat(5000)}`),
  fc.constant((t: string) => t.replace(/\d/, 'NaN')),
  fc.constant((t: string) => t.replace(':', '::')),
  fc.constant((t: string) => t),
);

describe('fuzz: scenario JSON', () => {
  it('400 edited scenarios parse and resolve or are refused with a JSON path', () => {
    fc.assert(
      fc.property(jsonEdits(SCENARIO_PATHS), rawEdit, (edits, raw) => {
        const doc = edits.reduce<unknown>((d, e) => setPath(d, e.path, e.value), BASE_SCENARIO);
        tally('scenario', runScenarioCase(raw(JSON.stringify(doc))));
      }),
      { seed: SEED, numRuns: 400 },
    );
  });
});

describe('fuzz: thresholds JSON', () => {
  const base = JSON.parse(readFileSync('thresholds/default.json', 'utf8')) as unknown;
  const paths = [
    ['version'],
    ['defaults'],
    ['defaults', 'maxRatio'],
    ['defaults', 'tolerance'],
    ['defaults', 'gate'],
    ['metrics'],
    ['metrics', 'os.km.sup'],
    ['metrics', '*.w1', 'maxRatio'],
    ['metrics', 'ngrams.*', 'maxValue'],
    ['description'],
  ];
  it('200 edited thresholds files parse and apply or are refused', () => {
    fc.assert(
      fc.property(jsonEdits(paths), rawEdit, (edits, raw) => {
        const doc = edits.reduce<unknown>((d, e) => setPath(d, e.path, e.value), base);
        tally('thresholds', runThresholdsCase(raw(JSON.stringify(doc))));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});

describe('fuzz: rules JSON', () => {
  const base = JSON.parse(readFileSync('models/default/rules.json', 'utf8')) as unknown;
  const modelPaths = [
    ['format'],
    ['format_version'],
    ['source', 'patients'],
    ['criteria', 'min_at_risk'],
    ['rules'],
    ['rules', '0', 'kind'],
    ['rules', '0', 'code'],
    ['rules', '3', 'min_day'],
    ['rules', '3', 'max_day'],
    ['rules', '8', 'max'],
    ['rules', '9', 'severity'],
    ['rules', '11', 'attribute'],
    ['rules', '14', 'level'],
    ['rules', '2', 'support', 'exceptions'],
  ];
  const edits = {
    add: [
      { kind: 'precedence', before: 'TREATMENT_START:*', code: 'RECURRENCE', severity: 'hard' },
    ],
    remove: ['max_count:RECURRENCE'],
    relax: ['day_range:DIAGNOSIS', { id: 'max_count:DIAGNOSIS', max: 2 }],
  };
  const editPaths = [
    ['add'],
    ['add', '0', 'kind'],
    ['add', '0', 'before'],
    ['add', '0', 'code'],
    ['add', '0', 'severity'],
    ['add', '1'],
    ['remove', '0'],
    ['remove', '1'],
    ['relax', '0'],
    ['relax', '1', 'id'],
    ['relax', '1', 'max'],
    ['relax', '1', 'min_day'],
    ['extra'],
  ];
  it('150 edited model rules.json files load or are refused naming the file and JSON path', () => {
    fc.assert(
      fc.property(jsonEdits(modelPaths), rawEdit, (e, raw) => {
        const doc = e.reduce<unknown>((d, x) => setPath(d, x.path, x.value), base);
        const text = raw(JSON.stringify(doc));
        tally('rules', runRulesCase(caseDir('rules-model'), { kind: 'model', text }));
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
  it('150 edited --rules edit files apply or are refused naming the file and JSON path', () => {
    fc.assert(
      fc.property(jsonEdits(editPaths), rawEdit, (e, raw) => {
        const doc = e.reduce<unknown>((d, x) => setPath(d, x.path, x.value), edits);
        const text = raw(JSON.stringify(doc));
        tally('rules', runRulesCase(caseDir('rules-edits'), { kind: 'edits', text }));
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});

describe('fuzz: model folders', () => {
  const base = join(root, 'model-base');
  cpSync('models/default', base, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(base, 'manifest.json'), 'utf8')) as unknown;
  const weightsBytes = readFileSync(join(base, 'weights.bin')).length;
  const paths = [
    ['format'],
    ['version'],
    ['kind'],
    ['vocabulary', 'codes'],
    ['vocabulary', 'codes', '0'],
    ['weights'],
    ['weights', '0', 'shape'],
    ['weights', '0', 'offset'],
    ['weights', '1', 'shape', '0'],
    ['config'],
    ['attributes'],
  ];
  it('150 folders with edited manifests, truncated, padded or corrupted weights', () => {
    fc.assert(
      fc.property(
        fc.option(jsonEdits(paths), { nil: null }),
        fc.oneof(
          fc.constant(weightsBytes),
          fc.nat({ max: weightsBytes + 64 }),
          fc.constantFrom(0, 3, weightsBytes - 1, weightsBytes + 4),
        ),
        fc.array(fc.nat({ max: weightsBytes }), { maxLength: 8 }),
        fc.boolean(),
        (edits, weightsLength, patch, garbage) => {
          const text =
            garbage && edits === null
              ? '{"format": "trajsim-model"'
              : JSON.stringify(
                  edits
                    ? edits.reduce<unknown>((d, e) => setPath(d, e.path, e.value), manifest)
                    : manifest,
                );
          const c = {
            manifest: text,
            weightsLength,
            weightsPatch: patch.flatMap((at) => [at, 255]),
          };
          tally('model', runModelCase(base, caseDir('model'), c));
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });
});

describe('fuzz: CLI flags (in-process)', () => {
  const dir = join(root, 'cli');
  mkdirSync(dir, { recursive: true });
  const path = fc.constantFrom(
    'no/such/dir',
    'data/colon',
    'data/colon/patients.csv',
    'models',
    dir,
    '',
    '-',
    '--out',
    'thresholds/default.json',
  );
  const number = fc.oneof(
    fc.constantFrom(
      '0',
      '-1',
      '1e12',
      '1000000000000',
      '3000000',
      '1.5',
      'NaN',
      'Infinity',
      '',
      '0x10',
      '1_000',
      ' 7',
      '2/1',
      '0/0',
      '1/200',
      'auto',
    ),
    fc.integer().map(String),
  );
  const flag = fc.oneof(
    fc.tuple(
      fc.constantFrom(
        '--patients',
        '--batch-size',
        '--horizon-days',
        '--max-events',
        '--part-patients',
        '--shard',
        '--hidden',
        '--epochs',
        '--layers',
        '--learning-rate',
        '--val-fraction',
        '--repeats',
        '--seed',
        '--backend',
        '--kind',
      ),
      number,
    ),
    fc.tuple(
      fc.constantFrom(
        '--model',
        '--scenario',
        '--data',
        '--real',
        '--synthetic',
        '--thresholds',
        '--patients',
        '--events',
      ),
      path,
    ),
    fc.constantFrom(['--overwrite'], ['--resume'], ['--json'], ['--bogus'], ['--no-dates'], []),
  );
  const command = fc.constantFrom(
    ['generate'],
    ['train'],
    ['import'],
    ['export', 'data/colon'],
    ['inspect', 'no/such'],
    ['validate'],
    ['merge', 'data/colon'],
    ['stats', 'km'],
  );
  it('150 commands with hostile flags exit 2 on one line and write nothing', async () => {
    await fc.assert(
      fc.asyncProperty(command, fc.array(flag, { maxLength: 5 }), async (cmd, flags) => {
        const out = join(dir, `out-${caseNo++}`);
        // never a usable model or timeline: every command must fail (and fast)
        const argv = [
          ...cmd,
          ...flags.flat(),
          '--out',
          out,
          ...(cmd[0] === 'generate' ? ['--model', 'data/colon'] : []),
        ];
        const code = await runCliCase(argv, out);
        expect(code, argv.join(' ')).toBe(2);
        tally('cli', 'refused');
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
  it('a sample of 8 spawned as the real binary: exit 2, no stack trace, nothing written', () => {
    const samples = fc.sample(fc.tuple(command, fc.array(flag, { maxLength: 5 })), {
      seed: SEED,
      numRuns: 8,
    });
    for (const [cmd, flags] of samples) {
      const out = join(dir, `spawn-${caseNo++}`);
      const argv = [
        ...cmd,
        ...flags.flat(),
        '--out',
        out,
        ...(cmd[0] === 'generate' ? ['--model', 'data/colon'] : []),
      ];
      const r = runTrajsim(argv);
      expect(r.status, `${argv.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
      expect(existsSync(out)).toBe(false);
      tally('cli-spawned', 'refused');
    }
  });
});
