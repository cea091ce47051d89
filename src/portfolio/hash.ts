// Integer hashing for the typed-array hash tables of this folder. Keys are small dense integers
// (users, symbol indexes), which a plain modulo would cluster; a bijective 32-bit finalizer spreads them.

/** Hash of one non-negative int32 (lowbias32 finalizer: bijective on 32 bits). */
export const mix1 = (a: number): number => {
  let h = a | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
};

/** Hash of a pair (user, symbol index). */
export const mix2 = (a: number, b: number): number =>
  mix1(Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca77));
