import { json } from 'node:stream/consumers';
import v8 from 'node:v8';

interface HeapSnapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/**
 * For every live object of class `owner` in this process's V8 heap, the kinds of the strings held
 * in its array field `field` (private fields by their `#name`): `string` for a flat string,
 * `concatenated string` for a rope of cons strings, `sliced string` for a view into a larger one.
 * Takes a heap snapshot (about a second for a test worker's heap), so a test can check what a
 * long-lived structure keeps, not only what it answers.
 */
export async function heldStringKinds(owner: string, field: string): Promise<string[]> {
  const snap = (await json(v8.getHeapSnapshot())) as HeapSnapshot;
  const { meta } = snap.snapshot;
  const nodeWidth = meta.node_fields.length;
  const edgeWidth = meta.edge_fields.length;
  const [nodeTypes] = meta.node_types;
  const [edgeTypes] = meta.edge_types;
  const nType = meta.node_fields.indexOf('type');
  const nName = meta.node_fields.indexOf('name');
  const nEdges = meta.node_fields.indexOf('edge_count');
  const eType = meta.edge_fields.indexOf('type');
  const eName = meta.edge_fields.indexOf('name_or_index');
  const eTo = meta.edge_fields.indexOf('to_node');
  const { nodes, edges, strings } = snap;

  const firstEdge = new Map<number, number>(); // node offset → its first edge's offset
  for (let node = 0, edge = 0; node < nodes.length; node += nodeWidth) {
    firstEdge.set(node, edge);
    edge += (nodes[node + nEdges] as number) * edgeWidth;
  }
  const kind = (node: number) => nodeTypes[nodes[node + nType] as number] as string;
  const name = (node: number) => strings[nodes[node + nName] as number];
  /** The nodes `node` points to by edges of type `type`, named `edgeName` if given. */
  const targets = (node: number, type: string, edgeName?: string) => {
    const found: number[] = [];
    const start = firstEdge.get(node) as number;
    const end = start + (nodes[node + nEdges] as number) * edgeWidth;
    for (let e = start; e < end; e += edgeWidth) {
      if (edgeTypes[edges[e + eType] as number] !== type) continue;
      if (edgeName !== undefined && strings[edges[e + eName] as number] !== edgeName) continue;
      found.push(edges[e + eTo] as number);
    }
    return found;
  };

  const kinds: string[] = [];
  for (let node = 0; node < nodes.length; node += nodeWidth) {
    if (kind(node) !== 'object' || name(node) !== owner) continue;
    for (const array of targets(node, 'property', field))
      for (const elements of targets(array, 'internal', 'elements'))
        for (const held of targets(elements, 'internal'))
          if (kind(held).endsWith('string')) kinds.push(kind(held));
  }
  return kinds;
}
