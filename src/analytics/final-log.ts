// An append-only log of final bars as plain numbers: finalising a bar writes one fixed-size record here
// instead of building its Candle object at once. The objects are built when the output is drained, so
// they die young instead of living (and being copied by the young-generation GC) until the next drain.

export class FinalBarLog {
  /** Floats per record. */
  readonly stride: number;
  private buf: Float64Array;
  private n = 0;

  constructor(stride: number, initialRecords = 256) {
    this.stride = stride;
    this.buf = new Float64Array(stride * initialRecords);
  }

  /** Records held. */
  get count(): number {
    return this.n;
  }

  /** The backing array; a record i starts at i × stride. Valid until the next `append`. */
  get data(): Float64Array {
    return this.buf;
  }

  /** Reserves the next record and returns its offset in `data` (read `data` again afterwards). */
  append(): number {
    const at = this.n * this.stride;
    if (at + this.stride > this.buf.length) {
      const bigger = new Float64Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.n++;
    return at;
  }

  clear(): void {
    this.n = 0;
  }
}
