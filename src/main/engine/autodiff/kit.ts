/**
 * The rule kit: everything a vector-Jacobian rule may use, and nothing else.
 *
 * Vocabulary (ONNX Runtime's gradient builders use the same idea with I/O/GO/GI):
 *   x(i)   name of the forward node's i-th input ('' when the optional input is absent)
 *   y(i)   name of its i-th output
 *   dy(i)  gradient of the loss with respect to y(i), or undefined when nothing downstream needs y(i)
 *   needs(i)  whether the walker wants a gradient for input i (rules skip expensive work when it does not)
 *   emit(op, inputs, attrs)  adds one backward node and returns its output
 *   tmp(name)  a fresh value name; scalar/ints/tensor add constants
 *   shape(v), dtype(v), values(v)  static facts about forward values (from the shape probe)
 * A rule returns one entry per forward input: the gradient's value name, or null for "no gradient".
 * A rule marked `broadcasts` returns gradients in the shape of y(0); the walker sums them back to each input's
 * shape. Every other rule returns gradients already in the input's shape.
 */
import { StudioError } from '../../../shared/errors.js';
import type { Attrs } from '../onnx/graph.js';
import { tensorToArray, type DType, type NodeProto, type TensorProto, type TypedArray } from '../onnx/proto.js';
import type { ShapeMap } from './shapes.js';

export interface VjpKit {
  readonly node: NodeProto;
  readonly opType: string;
  readonly opset: number;
  x(i: number): string;
  y(i: number): string;
  dy(i: number): string | undefined;
  /** dy(i), or zeros of y(i)'s shape when nothing downstream uses y(i). */
  dyOrZeros(i: number): string;
  hasX(i: number): boolean;
  needs(i: number): boolean;
  /** Makes sure the forward node produces output i (e.g. MaxPool Indices) and returns its name. */
  ensureOutput(i: number): string;
  shape(v: string): number[];
  dtype(v: string): DType;
  /** Values of a small constant or shape-derived tensor (axes, pads, scales); undefined when unknown. */
  values(v: string): number[] | undefined;
  attr(name: string, fallback: number): number;
  attr(name: string, fallback: string): string;
  attr(name: string, fallback: number[]): number[];
  emit(op: string, inputs: readonly string[], attrs?: Attrs, name?: string): string;
  emitN(op: string, inputs: readonly string[], attrs: Attrs, outputs: number): string[];
  /** A node of a contrib domain ORT implements on every provider we use (com.microsoft FusedMatMul). */
  emitDomain(domain: string, op: string, inputs: readonly string[], attrs?: Attrs, name?: string): string;
  tmp(name: string): string;
  /** A scalar constant in the dtype of `like` (default: the node's first input). */
  scalar(v: number, like?: string): string;
  /** A constant float tensor in the dtype of `like` (default: the node's first input). */
  floats(values: ArrayLike<number>, dims: readonly number[], like?: string): string;
  ints(values: readonly number[]): string;
  /** ReduceSum/Mean/Max with the axes form the opset wants. */
  reduce(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax', v: string, axes: readonly number[], keepdims: boolean): string;
  /** Sums a gradient of shape `from` back to `to` (numpy broadcasting rules). */
  unbroadcast(g: string, from: readonly number[], to: readonly number[]): string;
  fail(why: string): never;
}

export type VjpRuleFn = (k: VjpKit) => (string | null | undefined)[];
export type VjpRule = VjpRuleFn & { broadcasts?: boolean };

/** Marks a rule whose gradients come out in the broadcast (output) shape. */
export function broadcasting(rule: VjpRuleFn): VjpRule {
  return Object.assign(rule, { broadcasts: true });
}

export type RuleTable = Record<string, VjpRule>;

function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof (v as { toNumber?: () => number }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  return Number(v ?? 0);
}

/** Reads a node attribute as a plain JS value (INT, FLOAT, STRING, INTS, FLOATS, STRINGS, TENSOR). */
export function readAttr(node: NodeProto, name: string): number | number[] | string | string[] | TensorProto | undefined {
  const a = node.attribute?.find((x) => x.name === name);
  if (!a) return undefined;
  switch (a.type) {
    case 1: return a.f ?? 0;
    case 2: return toNum(a.i);
    case 3: return new TextDecoder().decode(a.s ?? new Uint8Array());
    case 4: return a.t ?? undefined;
    case 6: return (a.floats ?? []).map(Number);
    case 7: return (a.ints ?? []).map(toNum);
    case 8: return (a.strings ?? []).map((s) => new TextDecoder().decode(s));
    default: return undefined;
  }
}

export function typedToNumbers(data: TypedArray): number[] {
  return Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
}

export function tensorValues(t: TensorProto): number[] {
  return typedToNumbers(tensorToArray(t).data);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function isFloat(d: DType | undefined): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16';
}

export type { ShapeMap };
export { StudioError };
