// Shared bench helpers: every benchmark prints `BENCH <name> <value> <unit>` lines and the machine.
import os from 'node:os';

export const report = (name: string, value: number, unit: string): void => {
  const v = Number.isInteger(value) ? String(value) : value.toPrecision(6);
  console.log(`BENCH ${name} ${v} ${unit}`);
};

export const machine = (): string =>
  `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`;

/** Runs fn repeatedly for at least `minMs` and returns operations per second, counting `opsPerCall` per call. */
export const rate = (fn: () => void, opsPerCall: number, minMs = 1500): number => {
  fn(); // warm-up
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    fn();
    calls++;
    t = performance.now();
  }
  return (calls * opsPerCall) / ((t - t0) / 1000);
};
