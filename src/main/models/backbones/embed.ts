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

/**
 * `a` and `b` (each [batch, ...]) through `run` as one batch [2·batch, ...], so the graph holds one copy of the
 * frozen backbone's weights and ORT runs one larger pass instead of two; each output is split back into a's half
 * and b's half. Only for batch-independent graphs (folded BatchNorm), where the halves equal two separate passes.
 */
export function pairedPass(g: GraphBuilder, a: string, b: string, batch: number, run: (x: string) => string[]): [string[], string[]] {
  const outs = run(g.op('Concat', [a, b], { axis: 0 }));
  const half = (f: string, from: number) => g.op('Slice', [f, g.constInt64([from]), g.constInt64([from + batch]), g.constInt64([0])]);
  return [outs.map((f) => half(f, 0)), outs.map((f) => half(f, batch))];
}
