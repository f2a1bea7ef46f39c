import { createWriteStream, existsSync, openAsBlob, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { Writable } from 'node:stream';
import {
  type RecordBatch,
  RecordBatchReader,
  type Schema,
  Table,
  tableFromIPC,
  tableToIPC,
} from 'apache-arrow';
import * as pw from 'parquet-wasm/esm';
import { TrajsimError } from '../core/errors.js';

/**
 * Parquet in and out through parquet-wasm (the Rust `arrow-rs` Parquet implementation compiled
 * to WebAssembly): Parquet row groups are read as Arrow record batches and Arrow record batches
 * are written as Parquet row groups, so Arrow types (dictionaries, Date32, nulls) survive the
 * round trip through the embedded `ARROW:schema`. Both directions stream one row group (or one
 * record batch) at a time. See docs/interop.md for why this library.
 */

let initialised = false;

/** Loads the WebAssembly module once (synchronously, from the installed package). */
function initParquet(): void {
  if (initialised) return;
  const require = createRequire(import.meta.url);
  const wasm = readFileSync(require.resolve('parquet-wasm/esm/parquet_wasm_bg.wasm'));
  pw.initSync({ module: wasm });
  initialised = true;
}

/** Default rows per Parquet row group written by trajsim. */
export const PARQUET_ROW_GROUP_ROWS = 262_144;

/**
 * Streams the Arrow record batches of a Parquet file, one row group at a time (memory holds one
 * row group, whatever the file size).
 *
 * @param path - the .parquet file.
 * @throws TrajsimError IO when the file is missing; INVALID_INPUT when it is not Parquet.
 * @example
 * for await (const batch of readParquetBatches('events.parquet')) console.log(batch.numRows)
 */
export async function* readParquetBatches(path: string): AsyncGenerator<RecordBatch> {
  if (!existsSync(path)) throw new TrajsimError('IO', `file not found: ${path}`);
  initParquet();
  let file: pw.ParquetFile;
  let groups: number;
  try {
    file = await pw.ParquetFile.fromFile(await openAsBlob(path));
    groups = file.metadata().numRowGroups();
  } catch (cause) {
    throw new TrajsimError('INVALID_INPUT', `not a readable Parquet file (${String(cause)})`, {
      file: basename(path),
      cause,
    });
  }
  try {
    for (let g = 0; g < groups; g++) {
      let table: Table;
      try {
        const part = await file.read({ rowGroups: [g] });
        table = tableFromIPC(part.intoIPCStream());
      } catch (cause) {
        throw new TrajsimError(
          'INVALID_INPUT',
          `row group ${g} of the Parquet file cannot be read (${String(cause)})`,
          { file: basename(path), cause },
        );
      }
      yield* table.batches;
    }
  } finally {
    file.free();
  }
}

/**
 * Reads a whole Parquet file as one Arrow table (for small tables such as patients).
 *
 * @param path - the .parquet file.
 * @throws TrajsimError IO / INVALID_INPUT as {@link readParquetBatches}.
 * @example
 * (await readParquetTable('patients.parquet')).numRows // => 929
 */
export async function readParquetTable(path: string): Promise<Table> {
  const batches: RecordBatch[] = [];
  for await (const batch of readParquetBatches(path)) batches.push(batch);
  return new Table(batches);
}

/** One Arrow record batch as a parquet-wasm record batch (through an IPC stream). */
function toWasmBatches(batch: RecordBatch): pw.RecordBatch[] {
  const table = pw.Table.fromIPCStream(tableToIPC(new Table([batch]), 'stream'));
  return table.recordBatches();
}

/**
 * Writes Arrow record batches as a Parquet file (Snappy-compressed, statistics on, the Arrow
 * schema embedded), streaming: each batch is converted and written when the previous one is
 * on its way to disk. Row groups hold at most `rowGroupRows` rows.
 *
 * @param path - the .parquet file to write (replaced if it exists; write into a temporary
 *   directory for atomicity).
 * @param batches - the record batches, all of one schema.
 * @param rowGroupRows - maximum rows per row group (default {@link PARQUET_ROW_GROUP_ROWS}).
 * @throws TrajsimError IO when the file cannot be written.
 * @example
 * await writeParquetBatches('out/events.parquet', tableFromIPC(readFileSync('events.arrow')).batches)
 */
export async function writeParquetBatches(
  path: string,
  batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>,
  rowGroupRows: number = PARQUET_ROW_GROUP_ROWS,
): Promise<void> {
  initParquet();
  const iterator =
    Symbol.asyncIterator in batches
      ? (batches as AsyncIterable<RecordBatch>)[Symbol.asyncIterator]()
      : (batches as Iterable<RecordBatch>)[Symbol.iterator]();
  const pending: pw.RecordBatch[] = [];
  // the first batch with rows; a table without any is written whole, from its schema
  let first = await iterator.next();
  let schema = first.done ? undefined : first.value.schema;
  while (!first.done && first.value.numRows === 0) {
    first = await iterator.next();
    if (!first.done) schema = first.value.schema;
  }
  if (first.done) {
    if (schema === undefined)
      throw new TrajsimError('INVALID_ARGUMENT', 'no record batch to write', {
        file: basename(path),
      });
    writeEmptyParquet(path, schema);
    return;
  }
  pending.push(...toWasmBatches(first.value));
  const source = new ReadableStream<pw.RecordBatch>({
    async pull(controller) {
      while (pending.length === 0) {
        const next = await iterator.next();
        if (next.done) {
          controller.close();
          return;
        }
        if (next.value.numRows > 0) pending.push(...toWasmBatches(next.value));
      }
      controller.enqueue(pending.shift()!);
    },
  });
  const properties = new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.SNAPPY)
    .setMaxRowGroupSize(rowGroupRows)
    .setCreatedBy('trajsim')
    .build();
  try {
    const bytes = await pw.transformParquetStream(source, properties);
    await bytes.pipeTo(Writable.toWeb(createWriteStream(path)) as WritableStream<Uint8Array>);
  } catch (cause) {
    if (cause instanceof TrajsimError) throw cause;
    throw new TrajsimError('IO', `cannot write Parquet (${String(cause)})`, {
      file: basename(path),
      cause,
    });
  }
}

/** Writes a Parquet file with `schema` and no rows (parquet-wasm's stream writer needs a row). */
function writeEmptyParquet(path: string, schema: Schema): void {
  try {
    const table = pw.Table.fromIPCStream(tableToIPC(new Table(schema), 'stream'));
    writeFileSync(
      path,
      pw.writeParquet(table, new pw.WriterPropertiesBuilder().setCreatedBy('trajsim').build()),
    );
  } catch (cause) {
    throw new TrajsimError('IO', `cannot write Parquet (${String(cause)})`, {
      file: basename(path),
      cause,
    });
  }
}

/**
 * Converts an Arrow IPC file to Parquet, batch by batch.
 *
 * @param arrowPath - the Arrow IPC (file or stream format) input.
 * @param parquetPath - the .parquet output.
 * @throws TrajsimError IO when a file cannot be read or written.
 * @example
 * await arrowFileToParquet('out/colon/events.arrow', 'out/colon-pq/events.parquet')
 */
export async function arrowFileToParquet(arrowPath: string, parquetPath: string): Promise<void> {
  const reader = RecordBatchReader.from(readFileSync(arrowPath));
  await writeParquetBatches(parquetPath, reader);
}
