// `tickstream setup`: creates the topics and migrates the store, once, before a distributed start
// (several processes changing a fresh Cassandra schema at the same moment can conflict).
import { openBus, openStore } from '../app/adapters.ts';
import { configFrom, parse } from './args.ts';

const HELP = `Usage: tickstream setup [--config FILE] [--data-dir DIR]

Creates the bus topics (with bus.partitions partitions) and the store's tables if missing. Idempotent.
`;

export async function setupCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {});
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const config = configFrom(values);
  const bus = await openBus(config);
  const store = await openStore(config);
  await store.close();
  await bus.close();
  console.error(`topics and ${config.store.kind} schema ready`);
  return 0;
}
