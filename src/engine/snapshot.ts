// Snapshots of processor state: named binary sections in one buffer, so a task can combine its
// operators' own snapshots (typed arrays, avro, JSON for small metadata) without copying them twice.

const enc = new TextEncoder();
const dec = new TextDecoder();
const MAGIC = 0x54530001; // "TS" v1

export const encodeSections = (sections: Record<string, Uint8Array>): Uint8Array => {
  const names = Object.keys(sections);
  const encodedNames = names.map((n) => enc.encode(n));
  let size = 8;
  names.forEach((n, i) => {
    size += 4 + (encodedNames[i] as Uint8Array).length + 4 + (sections[n] as Uint8Array).length;
  });
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC);
  dv.setUint32(4, names.length);
  let p = 8;
  names.forEach((n, i) => {
    const nb = encodedNames[i] as Uint8Array;
    const body = sections[n] as Uint8Array;
    dv.setUint32(p, nb.length);
    out.set(nb, p + 4);
    p += 4 + nb.length;
    dv.setUint32(p, body.length);
    out.set(body, p + 4);
    p += 4 + body.length;
  });
  return out;
};

export const decodeSections = (bytes: Uint8Array): Map<string, Uint8Array> => {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || dv.getUint32(0) !== MAGIC) throw new RangeError('not a tickstream snapshot');
  const n = dv.getUint32(4);
  const out = new Map<string, Uint8Array>();
  let p = 8;
  for (let i = 0; i < n; i++) {
    const nl = dv.getUint32(p);
    const name = dec.decode(bytes.subarray(p + 4, p + 4 + nl));
    p += 4 + nl;
    const bl = dv.getUint32(p);
    if (p + 4 + bl > bytes.length) throw new RangeError('truncated snapshot');
    out.set(name, bytes.subarray(p + 4, p + 4 + bl));
    p += 4 + bl;
  }
  return out;
};

export const jsonBytes = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));
export const fromJsonBytes = <T>(b: Uint8Array): T => JSON.parse(dec.decode(b)) as T;
