// Tools users already know keep working: Kafka's own console consumer reads our topics (keys,
// partitions, offsets; values are Avro with Confluent framing, decodable with schemas/ by any Avro tool).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openBus } from '../../src/app/adapters.ts';
import { Ingest } from '../../src/app/ingest.ts';
import { partitionFor } from '../../src/bus/partitioner.ts';
import { parseConfig } from '../../src/config.ts';
import type { EventTimeMs, Price, Quantity, Trade } from '../../src/domain/types.ts';
import { deleteTopicsContaining } from './helpers.ts';

const enabled = process.env.STACK_TESTS === '1';
const root = join(import.meta.dirname, '..', '..');
const lib = join(root, '.stack', 'kafka', 'lib');

describe('Kafka console consumer reads our topics', {
  skip: !enabled && 'needs the local stack (STACK_TESTS=1)',
}, () => {
  const namespace = `tools${randomBytes(3).toString('hex')}`;
  after(() => deleteTopicsContaining(`${namespace}.`));
  it('keys and partitions as we wrote them; the value carries the Confluent header and schema id 1001', async () => {
    assert.ok(existsSync(lib), 'Kafka jars fetched by scripts/stack/stack.sh');
    const bus = await openBus(parseConfig({ bus: { kind: 'kafka', namespace, partitions: 3 } }));
    const symbols = ['AAPL', 'MSFT', 'JPM', 'XOM', 'BRK.B'];
    const trades: Trade[] = symbols.map((symbol, i) => ({
      symbol,
      price: (100 + i) as Price,
      size: 10 as Quantity,
      time: (Date.UTC(2024, 0, 2) + i) as EventTimeMs,
      conditions: [],
      seq: i + 1,
    }));
    try {
      await new Ingest(bus).trades(trades);
    } finally {
      await bus.close();
    }
    const r = spawnSync(
      'java',
      [
        '-Xmx256m',
        '-cp',
        `${lib}/*`,
        'org.apache.kafka.tools.consumer.ConsoleConsumer',
        '--bootstrap-server',
        '127.0.0.1:9092',
        '--topic',
        `${namespace}.trades`,
        '--from-beginning',
        '--max-messages',
        String(trades.length),
        '--timeout-ms',
        '60000',
        '--formatter-property',
        'print.key=true',
        '--formatter-property',
        'print.partition=true',
        '--formatter-property',
        'print.value=false',
        '--formatter-property',
        'key.separator=|',
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const seen = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0)
      .sort();
    const expected = symbols.map((s) => `Partition:${partitionFor(s, 3)}|${s}`).sort();
    assert.deepEqual(seen, expected);
  });
});
