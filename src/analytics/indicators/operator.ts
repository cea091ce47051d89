// The shape every incremental operator shares (after the trading-signals library): `add` appends a
// value, `replace` revises the latest one (a forming bar), `value` is undefined while warming up.
// All state lives in one Float64Array, so snapshot, restore and copy are a single typed-array copy.

export interface IncrementalOperator<V> {
  add(x: number): void;
  /** Revises the most recently added value; on an empty operator it behaves as `add`. */
  replace(x: number): void;
  readonly value: V | undefined;
  /** Whole state; a copy that `restore` accepts. */
  snapshot(): Float64Array;
  restore(state: Float64Array): void;
}

/** Throws if a restored state does not have the length this operator's configuration implies. */
export const checkStateLength = (name: string, got: number, want: number): void => {
  if (got !== want) throw new RangeError(`${name}: state of length ${got}, expected ${want}`);
};
