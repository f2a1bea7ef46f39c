/**
 * The one JSON-file + zod loader: every JSON input (timeline.json, manifest.json, thresholds,
 * scenarios) is read, parsed and checked here, so errors read the same everywhere: the file,
 * the JSON path of the bad field (`a.b[0].c`) and the reason. A UTF-8 byte-order mark is
 * accepted; a folder, a symbolic-link loop or an unreadable file is a clear IO error.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { type ErrorCode, TrajsimError } from './errors.js';
import { forbiddenJsonKey, jsonTooDeep } from './messages.js';

/**
 * Formats a JSON path the one way errors show it: `attributes.age.weights`, `criteria[0].code`,
 * `(root)` for the document itself.
 *
 * @param path - keys from the root (numbers are array indices)
 * @example
 * formatJsonPath(['criteria', 0, 'code']) // => 'criteria[0].code'
 */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out || '(root)';
}

/**
 * Reads a UTF-8 text file (a leading byte-order mark is dropped).
 *
 * @param path - the file
 * @param notFound - the reason given when the file does not exist (say what it should be)
 * @throws TrajsimError IO naming the file: missing, a folder, a symbolic-link loop, unreadable
 * @example
 * readTextFile('scenarios/demo.json', 'scenario file not found') // => '{ "name": ...'
 */
export function readTextFile(path: string, notFound = 'file not found'): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? notFound
        : code === 'EISDIR'
          ? 'is a folder; expected a file'
          : code === 'ELOOP'
            ? 'is a symbolic-link loop'
            : code === 'EACCES' || code === 'EPERM'
              ? 'permission denied'
              : `cannot be read (${(cause as Error).message})`;
    throw new TrajsimError('IO', reason, { file: path, cause });
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parses JSON text (a leading byte-order mark is accepted).
 *
 * @param text - the JSON text
 * @param file - the file it came from (for the error)
 * @param code - the error code for invalid JSON (default INVALID_INPUT)
 * @throws TrajsimError `code` "not valid JSON: ..." naming the file
 * @example
 * parseJsonText('\uFEFF{"a":1}', 'x.json') // => { a: 1 }
 */
export function parseJsonText(
  text: string,
  file: string,
  code: ErrorCode = 'INVALID_INPUT',
): unknown {
  let json: unknown;
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (cause) {
    throw new TrajsimError(code, `not valid JSON: ${(cause as Error).message}`, { file, cause });
  }
  checkJsonShape(json, file, code);
  return json;
}

/** Deepest nesting of arrays/objects a JSON input may have (docs/limits.md). */
export const MAX_JSON_DEPTH = 100;

/**
 * Refuses `__proto__` keys (zod and object spreads would silently drop or misapply them) and
 * documents nested deeper than {@link MAX_JSON_DEPTH}; iterative, so any depth is safe to walk.
 *
 * @param json - the parsed document
 * @param file - the file it came from
 * @param code - the error code
 * @throws TrajsimError `code` naming the file and the JSON path of the key or of the deep value
 * @example
 * checkJsonShape(JSON.parse('{"a":{"__proto__":1}}'), 'x.json', 'SCENARIO') // throws "x.json: a.__proto__: the key '__proto__' is not allowed ..."
 */
export function checkJsonShape(json: unknown, file: string, code: ErrorCode): void {
  const stack: { value: unknown; path: PropertyKey[] }[] = [{ value: json, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= MAX_JSON_DEPTH) {
      throw new TrajsimError(code, jsonTooDeep(MAX_JSON_DEPTH), {
        file,
        field: formatJsonPath(path.slice(0, 3)),
      });
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        stack.push({ value: v, path: [...path, i] });
      });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (key === '__proto__') {
        throw new TrajsimError(code, forbiddenJsonKey(key), {
          file,
          field: formatJsonPath([...path, key]),
        });
      }
      stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
}

/**
 * Checks parsed JSON against a zod schema; the first issue becomes the error, at its JSON path.
 *
 * @param json - the parsed document
 * @param schema - the zod schema
 * @param file - the file it came from
 * @param code - the error code (default INVALID_INPUT)
 * @throws TrajsimError `code` naming the file and the JSON path of the first bad field
 * @example
 * checkJson({ n: -1 }, z.object({ n: z.number().min(0) }), 'x.json') // throws "x.json: n: Too small..."
 */
export function checkJson<S extends z.ZodType>(
  json: unknown,
  schema: S,
  file: string,
  code: ErrorCode = 'INVALID_INPUT',
): z.output<S> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TrajsimError(code, issue.message, { file, field: formatJsonPath(issue.path) });
  }
  return parsed.data;
}

/**
 * Reads, parses and checks a JSON file ({@link readTextFile}, {@link parseJsonText},
 * {@link checkJson}).
 *
 * @param path - the file
 * @param schema - the zod schema
 * @param options - the error code of content errors, the reason given when the file is missing
 * @throws TrajsimError IO (missing, folder, unreadable) or `code` (invalid JSON or schema)
 * @example
 * readJsonFile('out/colon/timeline.json', manifestSchema) // => the checked manifest
 */
export function readJsonFile<S extends z.ZodType>(
  path: string,
  schema: S,
  options: { readonly code?: ErrorCode; readonly notFound?: string } = {},
): z.output<S> {
  const code = options.code ?? 'INVALID_INPUT';
  const json = parseJsonText(readTextFile(path, options.notFound), path, code);
  return checkJson(json, schema, path, code);
}
