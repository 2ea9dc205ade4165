// A minimal MaxMind DB writer for test fixtures, after the MaxMind DB File Format Specification 2.0
// (https://maxmind.github.io/MaxMind-DB/): search tree with 24-bit records, 16-byte separator, data
// section, then "\xAB\xCD\xEFMaxMind.com" and the metadata map. No pointers or deduplication: each
// network's record is written out in full.
import { writeFileSync } from 'node:fs';
import ipaddr from 'ipaddr.js';

/** An unsigned 16-bit integer; the spec types several metadata fields so (plain numbers become uint32). */
export class Uint16 {
  constructor(readonly value: number) {}
}

export type MmdbValue = string | number | boolean | Uint16 | MmdbValue[] | { [key: string]: MmdbValue };

export interface MmdbNetwork {
  /** e.g. `81.2.69.0/24`; in an IPv6 tree IPv4 networks go under ::/96 like MaxMind's own files. */
  cidr: string;
  data: { [key: string]: MmdbValue };
}

export interface MmdbSpec {
  ipVersion: 4 | 6;
  databaseType: string;
  networks: MmdbNetwork[];
  /** Seconds since the epoch. */
  buildEpoch?: number;
}

interface TreeNode {
  children: [TreeNode | number | null, TreeNode | number | null];
}

/** Writes `spec` as an .mmdb file at `file`. */
export function writeMmdb(file: string, spec: MmdbSpec): void {
  writeFileSync(file, encodeMmdb(spec));
}

/** The bytes of an .mmdb holding `spec`'s networks. */
export function encodeMmdb(spec: MmdbSpec): Buffer {
  const root: TreeNode = { children: [null, null] };
  const dataParts: Buffer[] = [];
  let dataLength = 0;
  for (const network of spec.networks) {
    const [bits, prefix] = networkBits(network.cidr, spec.ipVersion);
    const encoded = encodeValue(network.data);
    insert(root, bits, prefix, dataLength);
    dataParts.push(encoded);
    dataLength += encoded.length;
  }

  const nodes = numberNodes(root);
  const nodeCount = nodes.length;
  const tree = Buffer.alloc(nodeCount * 6);
  nodes.forEach((node, index) => {
    node.children.forEach((child, side) => {
      tree.writeUIntBE(recordValue(child, nodes, nodeCount), index * 6 + side * 3, 3);
    });
  });

  const metadata = encodeValue({
    binary_format_major_version: new Uint16(2),
    binary_format_minor_version: new Uint16(0),
    build_epoch: spec.buildEpoch ?? 1_763_000_000,
    database_type: spec.databaseType,
    description: { en: 'ipwarden test fixture' },
    ip_version: new Uint16(spec.ipVersion),
    languages: ['en'],
    node_count: nodeCount,
    record_size: new Uint16(24),
  });
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    ...dataParts,
    Buffer.from([0xab, 0xcd, 0xef]),
    Buffer.from('MaxMind.com', 'ascii'),
    metadata,
  ]);
}

/** Record value: a node number, `nodeCount` for "no data", or nodeCount + 16 + data offset. */
function recordValue(child: TreeNode | number | null, nodes: TreeNode[], nodeCount: number): number {
  if (child === null) return nodeCount;
  if (typeof child === 'number') return nodeCount + 16 + child;
  return nodes.indexOf(child);
}

function insert(root: TreeNode, bits: number[], prefix: number, dataOffset: number): void {
  let node = root;
  for (let depth = 0; depth < prefix - 1; depth++) {
    const side = bits[depth] as 0 | 1;
    let next = node.children[side];
    if (typeof next === 'number') throw new Error('fixture networks must not nest');
    if (next === null) {
      next = { children: [null, null] };
      node.children[side] = next;
    }
    node = next;
  }
  node.children[bits[prefix - 1] as 0 | 1] = dataOffset;
}

/** Breadth-first numbering; the root must be node 0. */
function numberNodes(root: TreeNode): TreeNode[] {
  const nodes: TreeNode[] = [root];
  for (let i = 0; i < nodes.length; i++) {
    for (const child of (nodes[i] as TreeNode).children) {
      if (child !== null && typeof child === 'object') nodes.push(child);
    }
  }
  return nodes;
}

function networkBits(cidr: string, ipVersion: 4 | 6): [number[], number] {
  const [address, prefix] = ipaddr.parseCIDR(cidr);
  let bytes = address.toByteArray();
  let bits = prefix;
  if (address.kind() === 'ipv4' && ipVersion === 6) {
    bytes = [...new Array<number>(12).fill(0), ...bytes];
    bits += 96;
  }
  if (address.kind() === 'ipv6' && ipVersion === 4) throw new Error(`${cidr} does not fit an IPv4 tree`);
  return [bytes.flatMap((byte) => [7, 6, 5, 4, 3, 2, 1, 0].map((shift) => (byte >> shift) & 1)), bits];
}

// Data section types (spec, "Output Data Section").
const TYPES = { string: 2, double: 3, uint16: 5, uint32: 6, map: 7, uint64: 9, array: 11, boolean: 14 };

function encodeValue(value: MmdbValue): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(TYPES.string, bytes.length), bytes]);
  }
  if (typeof value === 'boolean') return control(TYPES.boolean, value ? 1 : 0);
  if (typeof value === 'number') return encodeNumber(value);
  if (Array.isArray(value)) {
    return Buffer.concat([control(TYPES.array, value.length), ...value.map(encodeValue)]);
  }
  if (value instanceof Uint16) return encodeUint(TYPES.uint16, value.value);
  const entries = Object.entries(value);
  return Buffer.concat([
    control(TYPES.map, entries.length),
    ...entries.flatMap(([key, item]) => [encodeValue(key), encodeValue(item)]),
  ]);
}

function encodeNumber(value: number): Buffer {
  if (Number.isInteger(value) && value >= 0 && value <= 0xffffffff) {
    return encodeUint(TYPES.uint32, value);
  }
  if (Number.isInteger(value) && value > 0xffffffff) return encodeUint(TYPES.uint64, value);
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleBE(value);
  return Buffer.concat([control(TYPES.double, 8), bytes]);
}

/** Unsigned integers use as few big-endian bytes as the value needs (0 bytes for 0). */
function encodeUint(type: number, value: number): Buffer {
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)]);
}

/** Control byte: type in the top 3 bits (0 + an extra byte of type − 7 for types > 7), size in the low 5. */
function control(type: number, size: number): Buffer {
  const head = (type <= 7 ? type : 0) << 5;
  const extended = type <= 7 ? [] : [type - 7];
  if (size < 29) return Buffer.from([head | size, ...extended]);
  if (size < 285) return Buffer.from([head | 29, ...extended, size - 29]);
  if (size < 65_821) return Buffer.from([head | 30, ...extended, (size - 285) >> 8, (size - 285) & 0xff]);
  const rest = size - 65_821;
  return Buffer.from([head | 31, ...extended, rest >> 16, (rest >> 8) & 0xff, rest & 0xff]);
}
