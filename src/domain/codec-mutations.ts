// Test-only: hostile-input mutations of valid encodings (flip, truncate, splice varints, delete,
// duplicate, corrupt the header), shared by the codec's fuzz tests. See shared/notes/hostile-input.md.
import fc from 'fast-check';

import { zz } from './avro-by-hand.ts';

export type Mutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice'; at: number; value: bigint; drop: number }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'duplicate'; at: number; len: number }
  | { kind: 'header'; at: number; value: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('splice' as const),
    at: fc.nat(),
    value: fc.oneof(
      fc.bigInt({ min: -5n, max: 5n }),
      fc.constantFrom(
        50_000_000n,
        2n ** 31n,
        2n ** 40n,
        2n ** 63n - 1n,
        -(2n ** 62n),
        2n ** 53n - 2n,
        2n ** 53n - 1n,
      ),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    ),
    drop: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('header' as const), at: fc.integer({ min: 0, max: 4 }), value: fc.nat(255) }),
);

export const mutate = (src: Uint8Array, m: Mutation): Uint8Array => {
  const b = [...src];
  const at = m.at % (b.length + 1);
  switch (m.kind) {
    case 'flip':
      if (at < b.length) b[at]! ^= m.xor;
      return Uint8Array.from(b);
    case 'truncate':
      return Uint8Array.from(b.slice(0, at));
    case 'splice':
      b.splice(at, m.drop, ...zz(m.value));
      return Uint8Array.from(b);
    case 'delete':
      b.splice(at, m.len);
      return Uint8Array.from(b);
    case 'duplicate':
      b.splice(at, 0, ...b.slice(at, at + m.len));
      return Uint8Array.from(b);
    case 'header':
      if (at < b.length) b[at] = m.value;
      return Uint8Array.from(b);
  }
};
