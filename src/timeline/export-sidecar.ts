/**
 * The export sidecar and the spreadsheet-formula escape of CSV exports (issue 18 #14, #20).
 *
 * Text cells (patient ids, event codes, categorical levels) that a spreadsheet would read as a
 * formula — starting with `=`, `+`, `-`, `@`, TAB or CR — are written with a leading apostrophe
 * (`=1+1` → `'=1+1`, the OWASP convention); a cell that itself starts with an apostrophe gets
 * one more, so the escape is reversible. `trajsim-export.json`, written next to the CSVs, says
 * which columns are escaped and the kind of every attribute, so `import` of an export restores
 * exactly what was exported (numeric-looking categorical levels stay categorical). CSVs without
 * the sidecar are read as they are.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../core/json-file.js';
import type { AttributeSpec } from './types.js';

/** File name of the sidecar written into every CSV export. */
export const EXPORT_SIDECAR = 'trajsim-export.json';

const FORMULA_START = /^[=+\-@\t\r']/;

/**
 * Neutralises a text cell a spreadsheet would run as a formula (reversible, see the module).
 *
 * @param text - the cell text.
 * @returns the text, with a leading apostrophe when it starts with = + - @ TAB CR or '.
 * @example
 * escapeFormula('=HYPERLINK("x")') // => '\'=HYPERLINK("x")'
 * escapeFormula('P1') // => 'P1'
 */
export function escapeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * Reverses {@link escapeFormula}.
 *
 * @param text - the cell as read.
 * @returns the original text.
 * @example
 * unescapeFormula("'=1+1") // => '=1+1'
 */
export function unescapeFormula(text: string): string {
  return text.charCodeAt(0) === 39 ? text.slice(1) : text;
}

/** Cell texts that import reads as a missing value; a categorical level spelled so is escaped. */
const MISSING_SPELLINGS: ReadonlySet<string> = new Set(['', 'NA']);

/**
 * A categorical level as an export cell: formula-escaped like {@link escapeFormula}, and a
 * level spelled like a missing value (`NA`, or empty) gets the apostrophe too (`'NA`, `'`), so
 * it reads back as that level while an empty cell stays a missing value.
 *
 * @param level - the level text.
 * @returns the cell text (before CSV quoting).
 * @example
 * escapeLevel('NA') // => "'NA"
 * escapeLevel('') // => "'"
 * escapeLevel('Obs') // => 'Obs'
 */
export function escapeLevel(level: string): string {
  return MISSING_SPELLINGS.has(level) ? `'${level}` : escapeFormula(level);
}

/**
 * Reads a categorical cell of an escaped column written by {@link escapeLevel}: a bare `NA` or
 * empty cell is a missing value (undefined); anything else is unescaped.
 *
 * @param cell - the cell as read (CSV-unquoted).
 * @returns the level, or undefined for a missing value.
 * @example
 * readEscapedLevel("'NA") // => 'NA'
 * readEscapedLevel('NA') // => undefined
 */
export function readEscapedLevel(cell: string): string | undefined {
  return MISSING_SPELLINGS.has(cell) ? undefined : unescapeFormula(cell);
}

const sidecarSchema = z
  .object({
    format: z.literal('trajsim-export'),
    version: z.literal(1),
    escape: z.literal('leading-apostrophe'),
    /** Categorical levels spelled like a missing value, escaped too (`'NA`, `'`); absent in older exports. */
    escapedMissing: z.array(z.string()).optional(),
    escapedColumns: z
      .object({
        patients: z.array(z.string()),
        events: z.array(z.string()),
      })
      .strict(),
    attributes: z.array(
      z.object({ name: z.string(), kind: z.enum(['categorical', 'numeric']) }).strict(),
    ),
  })
  .strict();

/** The content of {@link EXPORT_SIDECAR}. */
export type ExportSidecar = z.output<typeof sidecarSchema>;

/**
 * The sidecar of an export of a timeline with these attributes, as JSON text.
 *
 * @param attributes - the timeline's attribute specs.
 * @returns the JSON text (with a final newline).
 * @example
 * exportSidecarText([{ name: 'sex', kind: 'categorical', levels: ['0', '1'] }])
 * // => '{\n  "format": "trajsim-export", ... "attributes": [{ "name": "sex", "kind": "categorical" }] }\n'
 */
export function exportSidecarText(attributes: readonly AttributeSpec[]): string {
  const sidecar: ExportSidecar = {
    format: 'trajsim-export',
    version: 1,
    escape: 'leading-apostrophe',
    escapedMissing: [...MISSING_SPELLINGS],
    escapedColumns: {
      patients: [
        'patient_id',
        ...attributes.filter((a) => a.kind === 'categorical').map((a) => a.name),
      ],
      events: ['patient_id', 'code'],
    },
    attributes: attributes.map((a) => ({ name: a.name, kind: a.kind })),
  };
  return `${JSON.stringify(sidecar, null, 2)}\n`;
}

/**
 * The sidecar that applies to an import of `patients` + `events`: read when both files lie in
 * one folder holding {@link EXPORT_SIDECAR}, else undefined.
 *
 * @param patients - path of the patients table.
 * @param events - path of the events table.
 * @throws TrajsimError INVALID_INPUT when the sidecar exists but is not valid.
 * @example
 * readExportSidecar('out/csv/patients.csv', 'out/csv/events.csv')?.attributes // => [{ name: 'sex', kind: 'categorical' }, ...]
 */
export function readExportSidecar(patients: string, events: string): ExportSidecar | undefined {
  const dir = dirname(resolve(patients));
  if (dir !== dirname(resolve(events))) return undefined;
  const path = join(dir, EXPORT_SIDECAR);
  if (!existsSync(path)) return undefined;
  return readJsonFile(path, sidecarSchema);
}
