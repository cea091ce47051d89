import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fromEnv, loadConfig, parseConfig, parseDuration } from './config.ts';
import { isTickstreamError } from './domain/errors.ts';

const failsWith = (fn: () => unknown, key: string): void => {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isTickstreamError(e, 'CONFIG_INVALID'), 'a CONFIG_INVALID error');
    assert.match((e as Error).message, new RegExp(key.replace(/\./g, '\\.')));
    return true;
  });
};

describe('config', () => {
  it('has working defaults: embedded bus and store', () => {
    const c = parseConfig({});
    assert.equal(c.bus.kind, 'memory');
    assert.equal(c.store.kind, 'sqlite');
    assert.deepEqual(c.analytics.intervals, ['1s', '1m', '5m', '1h']);
    assert.deepEqual(c.analytics.smaPeriods, [5, 10]);
    assert.equal(c.analytics.movePct, 5);
  });

  it('names the bad key', () => {
    failsWith(() => parseConfig({ bus: { kind: 'redis' } }), 'bus.kind');
    failsWith(() => parseConfig({ engine: { allowedLatenessMs: -1 } }), 'engine.allowedLatenessMs');
    failsWith(() => parseConfig({ server: { port: 70000 } }), 'server.port');
    failsWith(() => parseConfig({ analytics: { intervals: ['1 minute'] } }), 'analytics.intervals.0');
    failsWith(
      () => parseConfig({ store: { cassandra: { keyspace: 'Bad-Name' } } }),
      'store.cassandra.keyspace',
    );
  });

  it('rejects unknown keys instead of ignoring a typo', () => {
    failsWith(() => parseConfig({ engine: { checkpointIntervallMs: 5 } }), 'checkpointIntervallMs');
  });

  it('reads TICKSTREAM_* variables with __ between levels, JSON values when they parse', () => {
    assert.deepEqual(
      fromEnv({ TICKSTREAM_BUS__KIND: 'kafka', TICKSTREAM_BUS__KAFKA__BROKERS: '["a:1","b:2"]', OTHER: 'x' }),
      {
        bus: { kind: 'kafka', kafka: { brokers: ['a:1', 'b:2'] } },
      },
    );
    const c = loadConfig({
      env: { TICKSTREAM_ENGINE__ALLOWED_LATENESS_MS: '5000', TICKSTREAM_DATA_DIR: '/tmp/x' },
    });
    assert.equal(c.engine.allowedLatenessMs, 5000);
    assert.equal(c.dataDir, '/tmp/x');
    failsWith(
      () => loadConfig({ env: { TICKSTREAM_ENGINE__ALLOWED_LATENESS_MS: 'soon' } }),
      'engine.allowedLatenessMs',
    );
  });

  it('layers file < env < overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-cfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ server: { port: 1000 }, simulator: { seed: 7 } }));
    const c = loadConfig({
      file,
      env: { TICKSTREAM_SERVER__PORT: '2000' },
      overrides: { simulator: { rate: 'max' } },
    });
    assert.equal(c.server.port, 2000);
    assert.equal(c.simulator.seed, 7);
    assert.equal(c.simulator.rate, 'max');
  });

  it('reports an unreadable or malformed file clearly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-cfg-'));
    failsWith(() => loadConfig({ file: join(dir, 'missing.json'), env: {} }), 'cannot read config file');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"bus": ');
    failsWith(() => loadConfig({ file: bad, env: {} }), 'not valid JSON');
    writeFileSync(bad, '[1,2]');
    failsWith(() => loadConfig({ file: bad, env: {} }), 'must hold an object');
  });

  it('parses durations', () => {
    assert.equal(parseDuration('1s'), 1000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration(42), 42);
    assert.throws(() => parseDuration('5 minutes'));
  });
});
