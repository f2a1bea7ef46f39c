import { createReadStream, existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { TrajsimError } from '../core/errors.js';
import { csvTooLong } from '../core/messages.js';

/**
 * Longest CSV field accepted, in UTF-16 code units (64 Ki). A longer field is almost always a
 * stray `"` swallowing the rest of the file; refusing it early keeps memory flat (docs/limits.md).
 */
export const MAX_CSV_FIELD_CHARS = 65_536;
/** Longest CSV record (all its fields and separators) accepted, in UTF-16 code units (1 Mi). */
export const MAX_CSV_RECORD_CHARS = 1_048_576;

/** One CSV record: its fields and the 1-based line where it starts (the header is line 1). */
export interface CsvRecord {
  readonly fields: string[];
  readonly line: number;
}

/**
 * Streams the records of an RFC 4180 CSV file: comma-separated, fields optionally in double
 * quotes (a quote inside is doubled), CRLF or LF line ends, a UTF-8 BOM skipped. Bytes that
 * are not valid UTF-8 and an unterminated quote are errors that name the file and line.
 * Blank lines are skipped. Memory stays flat whatever the file size.
 *
 * @example
 * for await (const { fields, line } of readCsv('events.csv')) { ... } // fields: ['P1', '0', 'DIAGNOSIS', '']
 */
export async function* readCsv(path: string): AsyncGenerator<CsvRecord> {
  const file = basename(path);
  if (!existsSync(path)) throw new TrajsimError('IO', `file not found: ${path}`);
  if (statSync(path).isDirectory())
    throw new TrajsimError('IO', `${path} is a directory; expected a CSV file`);
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let line = 1; // line of the current character
  let recordLine = 1;
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let afterQuote = false; // just closed a quoted field
  let fieldStarted = false;
  let pendingCR = false;

  let recordChars = 0;
  const tooLong = (what: 'field' | 'record', limit: number): TrajsimError =>
    new TrajsimError('RESOURCE', csvTooLong(what, limit), { file, line: recordLine });

  const endRecord = (): CsvRecord | undefined => {
    recordChars = 0;
    fields.push(field);
    const rec = fields;
    fields = [];
    field = '';
    fieldStarted = false;
    afterQuote = false;
    if (rec.length === 1 && rec[0] === '') return undefined; // blank line
    return { fields: rec, line: recordLine };
  };

  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  for await (const chunk of stream) {
    const text = decodeChunk(decoder, chunk as Buffer, file, line);
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (++recordChars > MAX_CSV_RECORD_CHARS) throw tooLong('record', MAX_CSV_RECORD_CHARS);
      if (field.length >= MAX_CSV_FIELD_CHARS) throw tooLong('field', MAX_CSV_FIELD_CHARS);
      if (pendingCR) {
        pendingCR = false;
        if (ch === 10) continue;
      }
      if (inQuotes) {
        if (ch === 34) {
          // closing quote, or the first half of a doubled quote (decided by the next character)
          inQuotes = false;
          afterQuote = true;
        } else {
          if (ch === 10) line++;
          field += text[i];
        }
        continue;
      }
      if (afterQuote && ch === 34) {
        // a doubled quote inside a quoted field
        field += '"';
        inQuotes = true;
        afterQuote = false;
        continue;
      }
      if (ch === 44) {
        fields.push(field);
        field = '';
        fieldStarted = false;
        afterQuote = false;
      } else if (ch === 10 || ch === 13) {
        const rec = endRecord();
        if (rec) yield rec;
        line++;
        recordLine = line;
        if (ch === 13) pendingCR = true;
      } else if (ch === 34 && !fieldStarted) {
        inQuotes = true;
        fieldStarted = true;
      } else if (ch === 0xfeff && line === 1 && fields.length === 0 && field === '') {
        // BOM
      } else {
        if (afterQuote) {
          throw new TrajsimError(
            'INVALID_INPUT',
            `unexpected character '${text[i]}' after a closing quote`,
            {
              file,
              line,
            },
          );
        }
        field += text[i];
        fieldStarted = true;
      }
    }
  }
  finishDecoding(decoder, file, line);
  if (inQuotes) {
    throw new TrajsimError('INVALID_INPUT', 'unterminated quoted field (a " is never closed)', {
      file,
      line: recordLine,
    });
  }
  if (field !== '' || fields.length > 0) {
    const rec = endRecord();
    if (rec) yield rec;
  }
}

/** One chunk of the file as text (streaming decode). Throws INVALID_INPUT naming the bad byte's line. */
function decodeChunk(
  decoder: InstanceType<typeof TextDecoder>,
  chunk: Buffer,
  file: string,
  line: number,
): string {
  try {
    return decoder.decode(chunk, { stream: true });
  } catch (cause) {
    const lineOfBadByte = locateBadUtf8(chunk, line);
    throw new TrajsimError(
      'INVALID_INPUT',
      'bytes that are not valid UTF-8; save the file as UTF-8',
      {
        file,
        line: lineOfBadByte,
        cause,
      },
    );
  }
}

/** Ends the streaming decode. Throws INVALID_INPUT when the file ends inside a character. */
function finishDecoding(
  decoder: InstanceType<typeof TextDecoder>,
  file: string,
  line: number,
): void {
  try {
    decoder.decode();
  } catch (cause) {
    throw new TrajsimError('INVALID_INPUT', 'file ends inside a UTF-8 character', {
      file,
      line,
      cause,
    });
  }
}

/** Line number of the first invalid UTF-8 sequence in `chunk`, counting from `firstLine`. */
function locateBadUtf8(chunk: Buffer, lineAtChunkStart: number): number {
  let lo = 0;
  let hi = chunk.length;
  // the longest prefix that decodes (a prefix may end inside a valid character: stream mode)
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(chunk.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  let line = lineAtChunkStart;
  for (let i = 0; i < lo; i++) if (chunk[i] === 10) line++;
  return line;
}
