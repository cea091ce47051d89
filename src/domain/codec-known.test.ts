// decodeKnownTrade / decodeKnownFill give exactly what validateTrade / validateFill say of the decoded
// record (the processors and sinks rely on it instead of checking every record twice).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeFill,
  decodeKnownFill,
  decodeKnownTrade,
  decodeTrade,
  encodeFill,
  encodeTrade,
} from './codec.ts';
import { fillArb, tradeArb } from './codec-arbitraries.ts';
import { Universe } from './universe.ts';
import { validateFill, validateTrade } from './validate.ts';

const U = Universe.default();
// half the records get a symbol of the universe, the rest keep the arbitrary's (almost never known)
const known = fc.constantFrom(...U.symbols.slice(0, 20));

describe('decodeKnownTrade / decodeKnownFill', () => {
  it('agree with decode then validate, for known and unknown symbols', () => {
    fc.assert(
      fc.property(tradeArb, fc.option(known), (t, s) => {
        const b = encodeTrade(s === null ? t : { ...t, symbol: s });
        const d = decodeTrade(b);
        assert.deepEqual(decodeKnownTrade(b, U), d.ok ? validateTrade(d.value, U) : d);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fillArb, fc.option(known), (f, s) => {
        const b = encodeFill(s === null ? f : { ...f, symbol: s });
        const d = decodeFill(b);
        assert.deepEqual(decodeKnownFill(b, U), d.ok ? validateFill(d.value, U) : d);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a symbol outside the universe as unknown_symbol, and damaged bytes as decode errors', () => {
    const t = fc.sample(tradeArb, { numRuns: 1, seed: 3 })[0]!;
    const v = decodeKnownTrade(encodeTrade({ ...t, symbol: 'NOT.A.TICKER' }), U);
    assert.equal(v.ok ? 'ok' : v.reason, 'unknown_symbol');
    const cut = encodeTrade({ ...t, symbol: 'AAPL' }).subarray(0, 7);
    const w = decodeKnownTrade(cut, U);
    assert.equal(w.ok ? 'ok' : w.reason, 'decode_error');
  });
});
