// The stack script's Cassandra settings check: a memtable size goes into the generated yaml as it is, so
// anything but a size must stop the script with a clear message before a node starts on a broken yaml.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..');

/** Runs cassandra_write_config alone, with a throw-away STACK_DIR; returns its exit code, stderr and yaml. */
const writeConfig = (
  env: Record<string, string>,
): { status: number | null; stderr: string; yaml: string } => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-stack-'));
  try {
    const r = spawnSync(
      'bash',
      [
        '-c',
        'source "$STACK_HOME/lib/common.sh"; source "$STACK_HOME/lib/cassandra.sh"; cassandra_write_config',
      ],
      {
        env: {
          ...process.env,
          REPO_ROOT: ROOT,
          STACK_HOME: join(ROOT, 'scripts', 'stack'),
          STACK_DIR: dir,
          ...env,
        },
        encoding: 'utf8',
      },
    );
    let yaml = '';
    try {
      yaml = readFileSync(join(dir, 'cassandra', 'conf', 'cassandra.yaml'), 'utf8');
    } catch {}
    return { status: r.status, stderr: r.stderr, yaml };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

test('the memtable sizes default to 128MiB and take a size from the environment', () => {
  const byDefault = writeConfig({});
  assert.equal(byDefault.status, 0, byDefault.stderr);
  assert.match(byDefault.yaml, /^memtable_heap_space: 128MiB$/m);
  assert.match(byDefault.yaml, /^memtable_offheap_space: 128MiB$/m);
  const set = writeConfig({
    STACK_CASSANDRA_MEMTABLE_HEAP: '1GiB',
    STACK_CASSANDRA_MEMTABLE_OFFHEAP: '512MiB',
  });
  assert.equal(set.status, 0, set.stderr);
  assert.match(set.yaml, /^memtable_heap_space: 1GiB$/m);
  assert.match(set.yaml, /^memtable_offheap_space: 512MiB$/m);
});

test('anything but a size stops it with the setting named, and writes no yaml', () => {
  for (const [name, value] of [
    ['STACK_CASSANDRA_MEMTABLE_HEAP', 'lots'],
    ['STACK_CASSANDRA_MEMTABLE_OFFHEAP', '128'],
    ['STACK_CASSANDRA_MEMTABLE_HEAP', '1GiB\nauthenticator: x'],
  ] as const) {
    const r = writeConfig({ [name]: value });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`${name} must be a size such as 128MiB`));
    assert.equal(r.yaml, '');
  }
});
