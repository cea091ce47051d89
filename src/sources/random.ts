// Seeded randomness for the simulators: small, fast, and the same stream for the same seed on every
// machine (Math.random cannot be seeded, so it is never used by the sources).
//
// xoshiro128** (Blackman & Vigna): 128 bits of state, 32-bit outputs, period 2^128 - 1, passes BigCrush.
// Its state is seeded from splitmix32 so that nearby seeds (1, 2, 3 …) give unrelated streams.

/** A 32-bit finaliser (murmur3 fmix32 with splitmix constants): spreads every input bit over the output. */
export const mix32 = (x: number): number => {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
};

/** Hash of two 32-bit integers, e.g. (seed, user): deterministic per-entity randomness without storage. */
export const hash2 = (a: number, b: number): number =>
  mix32(mix32(a ^ 0x9e3779b9) ^ Math.imul(b | 0, 0x85ebca6b));

/** Hash of three 32-bit integers. */
export const hash3 = (a: number, b: number, c: number): number => hash2(hash2(a, b), c);

/** Maps a 32-bit hash to [0, 1). */
export const toUnit = (h: number): number => (h >>> 0) / 4294967296;

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** The second normal of the last polar-method pair, or NaN when none is cached. */
  private spare = Number.NaN;

  constructor(seed: number) {
    // splitmix32 expansion of the seed; a zero state is impossible because mix32 of four distinct
    // consecutive counters cannot all be zero, but guard anyway since xoshiro would stay at zero forever.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      return mix32(s);
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** A generator with an explicit xoshiro state (for checking against the reference test vectors). */
  static fromState(a: number, b: number, c: number, d: number): Random {
    const r = new Random(0);
    r.a = a | 0;
    r.b = b | 0;
    r.c = c | 0;
    r.d = d | 0;
    return r;
  }

  /** Next 32-bit unsigned integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  uniform(): number {
    const hi = this.u32() >>> 5; // 27 bits
    const lo = this.u32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in (0, 1]: safe to take a logarithm of. */
  uniformPositive(): number {
    return 1 - this.uniform();
  }

  /** Uniform integer in [lo, hi] (both inclusive). Unbiased up to 2^-32, which is below any use here. */
  int(lo: number, hi: number): number {
    if (!(hi >= lo)) throw new RangeError(`int(${lo}, ${hi}): empty range`);
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (mean 0, sd 1) by the Marsaglia polar method; the pair's second value is cached. */
  gaussian(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = Number.NaN;
      return s;
    }
    let u: number;
    let v: number;
    let q: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      q = u * u + v * v;
    } while (q >= 1 || q === 0);
    const f = Math.sqrt((-2 * Math.log(q)) / q);
    this.spare = v * f;
    return u * f;
  }

  /** Exponential with the given mean (inter-arrival times of a Poisson process). */
  exponential(mean: number): number {
    return -mean * Math.log(this.uniformPositive());
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.uniform() < p;
  }
}
