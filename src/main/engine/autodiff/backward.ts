/**
 * buildBackward: turns a forward ONNX model into one that also computes gradients.
 *
 * The walker is the only place that knows about graph structure. It (1) finds the values that depend on a
 * `wrt` tensor (forward reachability through float values, stopping at ops listed as noGradient), (2) visits
 * the nodes in reverse topological order, (3) asks each node's rule (rules/index.ts) for input gradients,
 * (4) sums gradients back to an input's shape for broadcasting rules, (5) adds up gradients of values with
 * several consumers, and (6) prunes everything the new outputs do not need. Rules never see the graph.
 */
import { StudioError } from '../../../shared/errors.js';
import { GraphBuilder, valueInfo, type Attrs } from '../onnx/graph.js';
import { arrayToTensor, onnx, type DType, type ModelProto, type NodeProto, type ValueInfoProto } from '../onnx/proto.js';
import { isFloat, readAttr, sameShape, type RuleTable, type VjpKit, type VjpRule } from './kit.js';
import { normalizeForTraining } from './normalize.js';
import { NO_GRADIENT, RULES } from './rules/index.js';
import type { ShapeMap } from './shapes.js';

export interface BackwardOptions {
  /** dtype/dims (and small values) of every forward value: see probeShapes(). */
  shapes: ShapeMap;
  /** Output name for the gradient of `w` is `${gradPrefix}${w}` (default 'grad.'). */
  gradPrefix?: string;
  /** Forward values to keep as extra outputs after the gradients (e.g. BatchNorm running statistics). */
  keepOutputs?: string[];
  rules?: RuleTable;
}

export interface BackwardResult {
  model: ModelProto;
  /** wrt name -> output name of its gradient, in wrt order. */
  gradOutputs: Map<string, string>;
  /** wrt names that some rule actually sent a gradient to (the others get zeros). */
  flowing: Set<string>;
}

export function buildBackward(model: ModelProto, lossName: string, wrt: readonly string[], opts: BackwardOptions): ModelProto {
  return buildBackwardDetailed(model, lossName, wrt, opts).model;
}

export function buildBackwardDetailed(
  source: ModelProto,
  lossName: string,
  wrt: readonly string[],
  opts: BackwardOptions,
): BackwardResult {
  const model = normalizeForTraining(source);
  const graph = model.graph!;
  const opset = Number(model.opsetImport?.find((o) => !o.domain)?.version ?? 17);
  const rules = opts.rules ?? RULES;
  const shapes = opts.shapes;
  const prefix = opts.gradPrefix ?? 'grad.';
  const nodes: NodeProto[] = (graph.node ?? []).map((n) => ({ ...n, input: [...(n.input ?? [])], output: [...(n.output ?? [])] }));

  const shapeOf = (v: string): number[] => {
    const s = shapes.get(v);
    if (!s) throw new StudioError('INTERNAL', `No shape known for value "${v}"; probe the model with probeShapes() first.`);
    return s.dims;
  };
  const dtypeOf = (v: string): DType => {
    const s = shapes.get(v);
    if (!s) throw new StudioError('INTERNAL', `No dtype known for value "${v}"; probe the model with probeShapes() first.`);
    return s.dtype;
  };
  if (!shapes.has(lossName)) throw new StudioError('BAD_REQUEST', `The loss "${lossName}" is not a value of the model.`);
  const lossDims = shapeOf(lossName);
  if (lossDims.reduce((a, b) => a * b, 1) !== 1 || !isFloat(dtypeOf(lossName))) {
    throw new StudioError('BAD_REQUEST', `The loss "${lossName}" must be a floating-point scalar, but it has dtype ${dtypeOf(lossName)} and shape [${lossDims.join(', ')}].`);
  }
  for (const w of wrt) {
    if (!shapes.has(w)) throw new StudioError('BAD_REQUEST', `Cannot differentiate with respect to "${w}": the model has no such input or initializer.`);
    if (!isFloat(dtypeOf(w))) throw new StudioError('BAD_REQUEST', `Cannot differentiate with respect to "${w}": it has dtype ${dtypeOf(w)}, not a floating-point type.`);
  }

  // (1) forward reachability from wrt, remembering one parent per value for error messages.
  const fwd = new Set<string>(wrt);
  const parent = new Map<string, { node: number; from: string }>();
  nodes.forEach((node, idx) => {
    if (NO_GRADIENT.has(node.opType ?? '')) return;
    const from = node.input!.find((i) => i && fwd.has(i));
    if (from === undefined) return;
    for (const o of node.output!) {
      if (o && shapes.has(o) && isFloat(dtypeOf(o))) {
        fwd.add(o);
        parent.set(o, { node: idx, from });
      }
    }
  });
  const pathTo = (idx: number): string => {
    const steps: string[] = [];
    let cur: number | undefined = idx;
    for (let guard = 0; cur !== undefined && guard < 10_000; guard++) {
      const n: NodeProto = nodes[cur];
      steps.unshift(`"${n.name || n.output![0]}" (${n.opType})`);
      const from: string | undefined = n.input!.find((i) => i && fwd.has(i));
      if (from === undefined) break;
      const p = parent.get(from);
      if (!p) {
        steps.unshift(`"${from}"`);
        break;
      }
      cur = p.node;
    }
    return steps.join(' -> ');
  };

  // Backward emission.
  const gb = new GraphBuilder(graph.name ?? 'graph', opset);
  for (const n of nodes) {
    for (const v of [...n.input!, ...n.output!]) if (v) gb.reserve(v);
    if (n.name) gb.reserve(n.name);
  }
  for (const t of graph.initializer ?? []) gb.reserve(t.name ?? '');
  for (const i of graph.input ?? []) gb.reserve(i.name ?? '');
  const constCache = new Map<string, string>();
  const grads = new Map<string, string[]>();
  const summed = new Map<string, string>();
  const addGrad = (v: string, g: string): void => {
    const list = grads.get(v);
    if (list) list.push(g);
    else grads.set(v, [g]);
  };
  const gradOf = (v: string): string | undefined => {
    const list = grads.get(v);
    if (!list || list.length === 0) return undefined;
    if (list.length === 1) return list[0];
    const done = summed.get(v);
    if (done) return done;
    const s = gb.op('Sum', list, {}, `${v}/grad_sum`);
    summed.set(v, s);
    return s;
  };
  const scalarConst = (value: number, dtype: DType, dims: readonly number[] = []): string => {
    const key = `${dtype}:${value}:${dims.join('x')}`;
    const hit = constCache.get(key);
    if (hit) return hit;
    const n = dims.reduce((a, b) => a * b, 1);
    const data = dtype === 'float64' ? new Float64Array(n).fill(value) : new Float32Array(n).fill(value);
    const name = gb.initializer(`const_${value}`.replace(/[^A-Za-z0-9_.-]/g, '_'), dtype === 'float64' ? 'float64' : 'float32', dims, data);
    constCache.set(key, name);
    return name;
  };
  const intsConst = (values: readonly number[]): string => {
    const key = `i64:${values.join(',')}`;
    const hit = constCache.get(key);
    if (hit) return hit;
    const name = gb.constInt64(values, [values.length], 'ints');
    constCache.set(key, name);
    return name;
  };
  const zerosOf = (dims: readonly number[], dtype: DType): string => {
    const value = arrayToTensor('value', dtype === 'float64' ? 'float64' : 'float32', [1], dtype === 'float64' ? new Float64Array(1) : new Float32Array(1));
    return gb.op('ConstantOfShape', [intsConst(dims)], { value });
  };
  const reduce = (op: string, v: string, axes: readonly number[], keepdims: boolean): string => {
    if (op === 'ReduceSum' || opset >= 18) {
      return gb.op(op, [v, intsConst(axes)], { keepdims: keepdims ? 1 : 0 });
    }
    return gb.op(op, [v], { axes: [...axes], keepdims: keepdims ? 1 : 0 });
  };
  const unbroadcast = (g: string, from: readonly number[], to: readonly number[]): string => {
    if (sameShape(from, to)) return g;
    const lead = from.length - to.length;
    if (lead < 0) throw new StudioError('INTERNAL', `Cannot un-broadcast [${from.join(', ')}] to the larger shape [${to.join(', ')}].`);
    const axes: number[] = [];
    for (let i = 0; i < from.length; i++) {
      if (i < lead || (to[i - lead] === 1 && from[i] !== 1)) axes.push(i);
    }
    let out = axes.length > 0 ? reduce('ReduceSum', g, axes, true) : g;
    if (lead > 0 || axes.length === 0) out = gb.op('Reshape', [out, intsConst(to)]);
    return out;
  };

  // (2)-(5) reverse walk.
  addGrad(lossName, scalarConst(1, dtypeOf(lossName), lossDims));
  for (let idx = nodes.length - 1; idx >= 0; idx--) {
    const node = nodes[idx];
    const op = node.opType ?? '';
    if (!node.output!.some((o) => o && grads.has(o))) continue;
    if (!node.input!.some((i) => i && fwd.has(i))) continue;
    if (NO_GRADIENT.has(op)) continue;
    if (node.domain && node.domain !== 'ai.onnx') {
      throw new StudioError('UNSUPPORTED', `no VJP rule for ${node.domain}.${op} (node "${node.name}"), reached by ${pathTo(idx)}.`);
    }
    const rule: VjpRule | undefined = rules[op];
    if (!rule) throw new StudioError('UNSUPPORTED', `no VJP rule for ${op} (node "${node.name || node.output![0]}"), reached by ${pathTo(idx)}.`);
    const nodeName = node.name || node.output![0];
    const firstFloat = node.input!.find((i) => i && shapes.has(i) && isFloat(dtypeOf(i)));
    const defaultDtype: DType = firstFloat ? dtypeOf(firstFloat) : 'float32';
    const kit: VjpKit = {
      node,
      opType: op,
      opset,
      x: (i) => node.input![i] ?? '',
      y: (i) => node.output![i] ?? '',
      dy: (i) => (node.output![i] ? gradOf(node.output![i]) : undefined),
      dyOrZeros: (i) => gradOf(node.output![i]) ?? zerosOf(shapeOf(node.output![i]), dtypeOf(node.output![i])),
      hasX: (i) => !!node.input![i],
      needs: (i) => !!node.input![i] && fwd.has(node.input![i]),
      ensureOutput: (i) => {
        while (node.output!.length <= i) node.output!.push('');
        if (!node.output![i]) node.output![i] = gb.fresh(`${nodeName}:out${i}`);
        return node.output![i];
      },
      shape: shapeOf,
      dtype: dtypeOf,
      values: (v) => shapes.get(v)?.values,
      attr: ((name: string, fallback: unknown) => {
        const a = readAttr(node, name);
        return a === undefined ? fallback : a;
      }) as VjpKit['attr'],
      emit: (o, inputs, attrs: Attrs = {}, name) => gb.op(o, inputs, attrs, name ?? `${nodeName}/grad/${o}`),
      emitN: (o, inputs, attrs, n) => gb.node(o, inputs, attrs, { outputs: n, name: `${nodeName}/grad/${o}` }),
      emitDomain: (domain, o, inputs, attrs: Attrs = {}, name) => gb.node(o, inputs, attrs, { name: name ?? `${nodeName}/grad/${o}`, domain })[0],
      tmp: (name) => gb.fresh(`${nodeName}/grad/${name}`),
      scalar: (v, like) => scalarConst(v, like ? dtypeOf(like) : defaultDtype),
      floats: (values, dims, like) => {
        const dt = like ? dtypeOf(like) : defaultDtype;
        return gb.initializer(`${nodeName}/grad/const`, dt === 'float64' ? 'float64' : 'float32', dims, dt === 'float64' ? Float64Array.from(values) : Float32Array.from(values));
      },
      ints: intsConst,
      reduce: (o, v, axes, keepdims) => reduce(o, v, axes, keepdims),
      unbroadcast,
      fail: (why) => {
        throw new StudioError('UNSUPPORTED', `Cannot differentiate ${op} (node "${nodeName}"): ${why}`);
      },
    };
    const inGrads = rule(kit);
    if (inGrads.slice(node.input!.length).some(Boolean)) {
      throw new StudioError('INTERNAL', `The ${op} rule returned ${inGrads.length} gradients for ${node.input!.length} inputs.`);
    }
    inGrads.forEach((g, i) => {
      const input = node.input![i];
      if (!g || !input || !fwd.has(input)) return;
      addGrad(input, rule.broadcasts ? unbroadcast(g, shapeOf(node.output![0]), shapeOf(input)) : g);
    });
  }

  // Outputs: loss, one gradient per wrt, kept forward values.
  const gradOutputs = new Map<string, string>();
  const flowing = new Set<string>();
  const outputs: ValueInfoProto[] = [valueInfo(lossName, dtypeOf(lossName), lossDims)];
  for (const w of wrt) {
    const out = gb.reserve(`${prefix}${w}`);
    const g = gradOf(w);
    if (g) flowing.add(w);
    gb.node('Identity', [g ?? zerosOf(shapeOf(w), dtypeOf(w))], {}, { outputs: [out], name: `${out}/out` });
    gradOutputs.set(w, out);
    outputs.push(valueInfo(out, dtypeOf(w), shapeOf(w)));
  }
  for (const k of opts.keepOutputs ?? []) outputs.push(valueInfo(k, dtypeOf(k), shapeOf(k)));

  // (6) prune: keep only nodes and initializers the outputs need.
  const allNodes = [...nodes, ...gb.nodes];
  const needed = new Set(outputs.map((o) => o.name ?? ''));
  const keep: boolean[] = new Array(allNodes.length).fill(false);
  for (let i = allNodes.length - 1; i >= 0; i--) {
    const n = allNodes[i];
    if (!n.output!.some((o) => o && needed.has(o))) continue;
    keep[i] = true;
    for (const v of n.input!) if (v) needed.add(v);
  }
  const initializers = [...(graph.initializer ?? []), ...gb.initializers.values()].filter((t) => needed.has(t.name ?? ''));
  const initNames = new Set(initializers.map((t) => t.name ?? ''));
  const inputs = (graph.input ?? []).filter((i) => !initNames.has(i.name ?? '') || needed.has(i.name ?? ''));

  const opsetImport = [...(model.opsetImport ?? [])];
  const keptNodes = allNodes.filter((_, i) => keep[i]);
  for (const d of new Set(keptNodes.map((n) => n.domain).filter((d): d is string => !!d && d !== 'ai.onnx'))) {
    if (!opsetImport.some((o) => o.domain === d)) opsetImport.push({ domain: d, version: 1 });
  }
  const out = onnx.ModelProto.create({
    ...model,
    opsetImport,
    graph: onnx.GraphProto.create({
      name: graph.name,
      node: keptNodes,
      initializer: initializers,
      input: inputs,
      output: outputs,
      valueInfo: [],
    }),
  });
  return { model: out, gradOutputs, flowing };
}

export { readAttr };
