/** A typed array kind a {@link GrowableColumn} can hold. */
export type TypedColumn = Int32Array | Uint8Array | Float64Array;

/**
 * An append-only typed column that doubles its capacity when full (no per-row objects).
 *
 * @example
 * const c = new GrowableColumn((n) => new Int32Array(n), 2);
 * c.push(1); c.push(2); c.push(3);
 * c.toArray() // => Int32Array [1, 2, 3]
 */
export class GrowableColumn<T extends TypedColumn> {
  /** The storage; rows 0..length-1 are in use. Replaced when the column grows. */
  data: T;
  /** Number of rows pushed. */
  length = 0;

  /**
   * @param make - allocates a column of the given capacity (rows)
   * @param capacity - initial capacity in rows (at least 1)
   */
  constructor(
    private readonly make: (n: number) => T,
    capacity = 1024,
  ) {
    this.data = make(Math.max(1, capacity));
  }

  /** Appends one value (converted as the typed array converts it). */
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  /** A copy of the rows in use. */
  toArray(): T {
    return this.data.slice(0, this.length) as T;
  }
}
