// The namespace decorator keeps the Bus contract, and two namespaces on one bus do not see each other.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryBus } from '../src/bus/memory/index.ts';
import { NamespacedBus } from '../src/bus/namespaced.ts';
import { busContract } from './contract/bus.contract.ts';

busContract('namespaced memory', async () => new NamespacedBus(new MemoryBus(), 'ns1'));

describe('NamespacedBus', () => {
  it('isolates namespaces sharing one bus', async () => {
    const shared = new MemoryBus();
    const a = new NamespacedBus(shared, 'a');
    const b = new NamespacedBus(shared, 'b');
    await a.ensureTopic('trades', 2);
    await b.ensureTopic('trades', 2);
    await a.send('trades', [{ key: 'X', value: new Uint8Array([1]) }]);
    assert.deepEqual(await a.endOffsets('trades'), await shared.endOffsets('a.trades'));
    assert.equal(
      (await b.endOffsets('trades')).reduce((x, y) => x + y, 0),
      0,
    );
    assert.equal(
      (await a.endOffsets('trades')).reduce((x, y) => x + y, 0),
      1,
    );
    await shared.close();
  });
});
