/**
 * Copies the part of a backbone graph that computes the requested features into another GraphBuilder, with every
 * name prefixed, so a method's model.onnx is one self-contained graph (image in, map + score out).
 */
import type { GraphBuilder } from '../../engine/onnx/graph.js';
import { StudioError } from '../../../shared/errors.js';
import type { Backbone } from './types.js';

export function embedBackbone(g: GraphBuilder, backbone: Backbone, image: string, features: string[], prefix = 'backbone/'): Record<string, string> {
  const graph = backbone.model.graph!;
  const nodes = graph.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, k) => (n.output ?? []).forEach((o) => producer.set(o, k)));
  // Only nodes the requested features depend on: unused deeper layers cost nothing at inference.
  const needed = new Set<number>();
  const stack = features.map((f) => {
    const k = producer.get(f);
    if (k === undefined) throw new StudioError('UNSUPPORTED', `Backbone ${backbone.name} has no feature output "${f}".`);
    return k;
  });
  while (stack.length) {
    const k = stack.pop()!;
    if (needed.has(k)) continue;
    needed.add(k);
    for (const i of nodes[k].input ?? []) {
      const p = producer.get(i);
      if (p !== undefined) stack.push(p);
    }
  }
  const inputName = graph.input?.[0]?.name ?? 'image';
  const rename = (v: string) => (v === '' ? '' : v === inputName ? image : prefix + v);
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
  const copied = new Set<string>();
  nodes.forEach((n, k) => {
    if (!needed.has(k)) return;
    for (const i of n.input ?? []) {
      const t = inits.get(i);
      if (t && !copied.has(i)) {
        copied.add(i);
        g.initializers.set(g.reserve(prefix + i), { ...t, name: prefix + i });
      }
    }
    g.nodes.push({ ...n, name: prefix + (n.name ?? `node${k}`), input: (n.input ?? []).map(rename), output: (n.output ?? []).map((o) => g.reserve(rename(o))) });
  });
  return Object.fromEntries(features.map((f) => [f, prefix + f]));
}
