// The Avro schemas of the bus records and their fixed Confluent schema ids, loaded once from schemas/
// (the .avsc files and registry.json are the single source of truth, readable by other tools).
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { compileScanner, type Scanner } from './codec-scan.ts';

export type RecordName = 'Trade' | 'Fill' | 'Candle' | 'Alert' | 'Position' | 'PortfolioValue' | 'Deadletter';

export interface SchemaEntry {
  name: RecordName;
  subject: string;
  version: number;
  id: number;
  type: avro.Type;
  scan: Scanner;
}

interface RegistryFile {
  schemas: { subject: string; version: number; id: number; file: string }[];
}

const dir = new URL('../../schemas/', import.meta.url);
const registry = JSON.parse(readFileSync(new URL('registry.json', dir), 'utf8')) as RegistryFile;

const NAMES: readonly RecordName[] = [
  'Trade',
  'Fill',
  'Candle',
  'Alert',
  'Position',
  'PortfolioValue',
  'Deadletter',
];

/** All known schemas by id (every version, not only the latest). */
export const SCHEMAS_BY_ID: ReadonlyMap<number, SchemaEntry> = new Map(
  registry.schemas.map((s) => {
    const name = s.subject.replace(/^tickstream\./, '') as RecordName;
    if (!NAMES.includes(name)) throw new Error(`schemas/registry.json: unknown subject ${s.subject}`);
    const type = avro.Type.forSchema(JSON.parse(readFileSync(new URL(s.file, dir), 'utf8')));
    return [
      s.id,
      { name, subject: s.subject, version: s.version, id: s.id, type, scan: compileScanner(type) },
    ];
  }),
);

/** The schema each record type is written with: its highest version. */
export const latest = (name: RecordName): SchemaEntry => {
  let best: SchemaEntry | undefined;
  for (const e of SCHEMAS_BY_ID.values())
    if (e.name === name && (best === undefined || e.version > best.version)) best = e;
  if (best === undefined) throw new Error(`schemas/registry.json has no schema for tickstream.${name}`);
  return best;
};

/** Schema ids of the bus record types (latest versions), for consumers that dispatch on the header. */
export const SCHEMA_IDS: Readonly<Record<RecordName, number>> = Object.fromEntries(
  NAMES.map((n) => [n, latest(n).id]),
) as Record<RecordName, number>;
