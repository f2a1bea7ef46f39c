#!/usr/bin/env node
// Size checker of issue 15: lists every function, method, accessor, constructor and arrow
// function in src/ over MAX_FUNCTION_LINES lines, and every file over MAX_FILE_LINES lines whose
// leading comment does not state why ("Over 400 lines ..."). Prints JSON; exit code 1 when
// something is listed. Usage: node scripts/function-lengths.mjs [srcDir]
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const MAX_FUNCTION_LINES = 120;
export const MAX_FILE_LINES = 400;
/** The reason a long file states in its leading comment, e.g. `// Over 400 lines on purpose: ...`. */
export const FILE_REASON = /\b(?:over|longer than)\s+~?400\s+lines\b/i;

function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? tsFiles(join(dir, e.name))
        : e.name.endsWith('.ts')
          ? [join(dir, e.name)]
          : [],
    )
    .sort();
}

function functionName(node, sf) {
  if (node.name) return node.name.getText(sf);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const p = node.parent;
  if (p && ts.isVariableDeclaration(p)) return p.name.getText(sf);
  if (p && ts.isPropertyAssignment(p)) return p.name.getText(sf);
  if (p && ts.isPropertyDeclaration(p)) return p.name.getText(sf);
  return '(anonymous)';
}

function lineOf(sf, pos) {
  return sf.getLineAndCharacterOfPosition(pos).line + 1;
}

/**
 * The offenders of one source text.
 * @param {string} file path used in the report
 * @param {string} text the TypeScript source
 * @returns {{functions: {file: string, name: string, line: number, lines: number}[], file?: {file: string, lines: number}}}
 */
export function checkSource(file, text) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const functions = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = lineOf(sf, node.getStart(sf));
      const end = lineOf(sf, node.getEnd());
      const lines = end - start + 1;
      if (lines > MAX_FUNCTION_LINES) {
        functions.push({ file, name: functionName(node, sf), line: start, lines });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  const fileLines = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
  let long;
  if (fileLines > MAX_FILE_LINES) {
    const first = sf.statements[0];
    const ranges = first ? (ts.getLeadingCommentRanges(text, first.getFullStart()) ?? []) : [];
    const leading = ranges.map((r) => text.slice(r.pos, r.end)).join('\n');
    if (!FILE_REASON.test(leading)) long = { file, lines: fileLines };
  }
  return { functions, file: long };
}

/**
 * All offenders under a source folder.
 * @param {string} srcDir absolute path of src/
 */
export function checkTree(srcDir) {
  const functions = [];
  const files = [];
  for (const path of tsFiles(srcDir)) {
    const rel = relative(resolve(srcDir, '..'), path).split('\\').join('/');
    const r = checkSource(rel, readFileSync(path, 'utf8'));
    functions.push(...r.functions);
    if (r.file) files.push(r.file);
  }
  return { maxFunctionLines: MAX_FUNCTION_LINES, maxFileLines: MAX_FILE_LINES, functions, files };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const src = resolve(
    process.argv[2] ?? join(fileURLToPath(new URL('..', import.meta.url)), 'src'),
  );
  const result = checkTree(src);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exitCode = result.functions.length + result.files.length > 0 ? 1 : 0;
}
