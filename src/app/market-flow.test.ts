import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Universe } from '../domain/universe.ts';
import { MarketFlow } from './market-flow.ts';

const universe = Universe.default();
const events = (liveRun?: number) => {
  const f = new MarketFlow({
    universe,
    seed: 3,
    startTime: 1_700_000_000_000,
    tradeRate: 1000,
    fillRate: 200,
    users: 20,
    ...(liveRun !== undefined ? { liveRun } : {}),
  });
  return Array.from({ length: 20_000 }, () => f.next());
};
const firstSeqs = (es: ReturnType<typeof events>) => {
  const first = new Map<string, number>();
  for (const e of es)
    if (e.kind === 'trade' && !first.has(e.trade.symbol)) first.set(e.trade.symbol, e.trade.seq);
  return [...first.values()];
};
const fillIds = (es: ReturnType<typeof events>) =>
  es.flatMap((e) => (e.kind === 'fill' ? [e.fill.fillId] : []));

describe('MarketFlow', () => {
  it('a replayable flow numbers each symbol from 1 and its fills f<seed>-<n>', () => {
    const es = events();
    assert.ok(firstSeqs(es).every((s) => s === 1));
    assert.deepEqual(fillIds(es).slice(0, 3), ['f4-0', 'f4-1', 'f4-2']);
  });

  it("a live run's trades and fills are disjoint from another live run's, the events otherwise the same", () => {
    const a = events(1_700_000_000_000);
    const b = events(1_700_000_005_000);
    assert.ok(firstSeqs(a).every((s) => s === 1_700_000_000_000_000));
    const seqsA = new Set(a.flatMap((e) => (e.kind === 'trade' ? [`${e.trade.symbol}:${e.trade.seq}`] : [])));
    assert.ok(b.every((e) => e.kind !== 'trade' || !seqsA.has(`${e.trade.symbol}:${e.trade.seq}`)));
    const idsA = new Set(fillIds(a));
    assert.ok(fillIds(b).every((id) => !idsA.has(id)));
    assert.ok(idsA.size > 100);
    // only the identities differ from the replayable flow
    const plain = events();
    const strip = (es: ReturnType<typeof events>) =>
      es.map((e) => (e.kind === 'trade' ? { ...e.trade, seq: 0 } : { ...e.fill, fillId: '' }));
    assert.deepEqual(strip(a), strip(plain));
  });
});
