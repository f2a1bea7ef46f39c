import { DataType, type Vector } from 'apache-arrow';
import { compareCodeUnits } from '../core/compare.js';
import { GrowableColumn } from '../core/growable.js';
import { stringCells } from './columnar-source.js';
import { int32s, MISSING_TOKENS } from './import-table.js';
import type { AttributeSpec } from './types.js';

/**
 * A declared-categorical column read by columns: each cell kept as the index of its distinct
 * text (a dictionary's levels are looked up once per batch), encoded at the end as
 * encodeAttribute encodes a categorical column (levels in code-unit order, '' and NA missing).
 *
 * @example
 * const cells = new TextCells(); const at = cells.reader(batch.getChild('stage')!);
 * cells.push(at(0)); cells.encode('stage') // => { spec: { name: 'stage', kind: 'categorical', levels: [...] }, column }
 */
export class TextCells {
  private readonly index = new Map<string, number>();
  private readonly texts: string[] = [];
  private readonly cells = new GrowableColumn(int32s);

  /** The distinct-text index of a cell of `vector`, by row. */
  reader(vector: Vector): (i: number) => number {
    const data = vector.data.length === 1 ? vector.data[0]! : undefined;
    if (data && DataType.isDictionary(vector.type)) {
      const levels = (data.dictionary?.toArray() ?? []) as unknown[];
      const levelText = levels.map((l) => this.of(l === null || l === undefined ? '' : String(l)));
      const missing = this.of('');
      const indices = data.values as ArrayLike<number>;
      const valid = data.nullCount > 0 ? data.nullBitmap : undefined;
      const offset = data.offset;
      return (i) => {
        const k = i + offset;
        if (valid && !((valid[k >> 3]! >> (k & 7)) & 1)) return missing;
        return levelText[Number(indices[k])] ?? missing;
      };
    }
    const text = stringCells(vector);
    return (i) => this.of(text(i));
  }

  push(textIndex: number): void {
    this.cells.push(textIndex);
  }

  encode(name: string): { spec: AttributeSpec; column: Int32Array } {
    const levels = this.texts.filter((t) => !MISSING_TOKENS.has(t)).sort(compareCodeUnits);
    const levelIndex = new Map(levels.map((l, i) => [l, i]));
    const byText = Int32Array.from(this.texts, (t) => levelIndex.get(t) ?? -1);
    const column = new Int32Array(this.cells.length);
    for (let i = 0; i < column.length; i++) column[i] = byText[this.cells.data[i]!]!;
    return { spec: { name, kind: 'categorical', levels }, column };
  }

  private of(text: string): number {
    let k = this.index.get(text);
    if (k === undefined) {
      k = this.texts.length;
      this.index.set(text, k);
      this.texts.push(text);
    }
    return k;
  }
}
