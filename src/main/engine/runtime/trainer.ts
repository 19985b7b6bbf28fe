/**
 * Trainer: one ORT session over a training model (forward + backward + update), with the weights, optimizer
 * state and running statistics kept in two sets of tensors that swap roles every step: this step's outputs are
 * written by ORT straight into the buffers that were last step's inputs (pre-allocated fetches), so weights are
 * never copied through JavaScript and nothing is allocated per step. Slots whose readers all finish before their
 * new value is written (optimizer moments, see inPlace.ts) have one buffer that is both input and output.
 * The Trainer takes ownership of `training.state[i].initial`: those float32 arrays become the first input set
 * (so they change as training proceeds) instead of being copied, which saved one full copy of parameters +
 * optimizer state (134 MB on ResNet-18 with Adam). Build a fresh TrainingModel for each Trainer.
 */
import * as ort from 'onnxruntime-node';
import { StudioError } from '../../../shared/errors.js';
import type { ModelProto, TypedArray } from '../onnx/proto.js';
import { serializeModel } from '../onnx/proto.js';
import type { StateSlot, TrainingModel } from '../optim/trainingGraph.js';
import { saveCheckpoint, type CheckpointData } from './checkpoint.js';
import { inPlaceSlots } from './inPlace.js';
import { BATCH_GEMM_MAX_POSITIONS, rewriteLateConvsToBatchGemm } from './batchConv.js';
import { nchwcBlockSize, rewriteConvsToNchwc } from './nchwc.js';
import { chooseProvider, describeChoice, sessionOptions, type ProviderChoice } from './providers.js';

export interface TrainerOptions {
  threads?: number;
  provider?: ProviderChoice;
  log?: (line: string) => void;
  optimizerName?: string;
  /**
   * On the CPU provider, run eligible Convs as ORT NCHWc Convs (runtime/nchwc.ts). Default false: same results,
   * but no step-time gain could be resolved on the loaded 2-core dev machine (engine README, session 3).
   */
  nchwc?: boolean;
  /**
   * On the CPU provider, forward Convs with fewer output positions per image than this run as one batched MatMul
   * over their dW im2col (runtime/batchConv.ts); 0 turns it off. Default BATCH_GEMM_MAX_POSITIONS.
   */
  batchGemmMaxPositions?: number;
  /** Intra-op threads spin while idle (ORT default) unless false; see SessionSettings.spinning. */
  spinning?: boolean;
}

function tensorOf(slot: StateSlot, data: TypedArray): ort.Tensor {
  return new ort.Tensor('float32', data as Float32Array, slot.dims);
}

export class Trainer {
  private current = new Map<string, ort.Tensor>(); // by slot input name
  private spare = new Map<string, ort.Tensor>(); // by slot input name, receives the next values
  private t = 0;

  private constructor(
    readonly training: TrainingModel,
    private readonly session: ort.InferenceSession,
    readonly provider: ProviderChoice,
    private readonly optimizerName: string | undefined,
    /** What the session was created with (threads, spinning): what a job's log and the tests read back. */
    readonly sessionOptions: ort.InferenceSession.SessionOptions,
  ) {
    const inPlace = inPlaceSlots(training.model, training.state);
    for (const s of training.state) {
      const own = tensorOf(s, s.initial instanceof Float32Array ? s.initial : Float32Array.from(s.initial as ArrayLike<number>));
      this.current.set(s.input, own);
      // Optimizer moments are written over themselves (runtime/inPlace.ts): one buffer instead of two.
      this.spare.set(s.input, inPlace.has(s.input) ? own : tensorOf(s, new Float32Array(s.initial.length)));
    }
  }

  static async create(training: TrainingModel, opts: TrainerOptions = {}): Promise<Trainer> {
    const provider = opts.provider ?? (await chooseProvider());
    opts.log?.(`trainer: ${describeChoice(provider)}, ${training.params.length} parameters, ${training.state.length} state tensors`);
    let model = training.model;
    if (provider.provider === 'cpu' && opts.nchwc === true) {
      const block = await nchwcBlockSize();
      if (block > 0) {
        const r = rewriteConvsToNchwc(model, block);
        model = r.model;
        opts.log?.(`trainer: ${r.count} Convs on ORT's NCHWc kernels (block ${block})`);
      }
    }
    const maxPositions = opts.batchGemmMaxPositions ?? BATCH_GEMM_MAX_POSITIONS;
    if (provider.provider === 'cpu' && maxPositions > 0) {
      const r = rewriteLateConvsToBatchGemm(model, maxPositions);
      model = r.model;
      if (r.count > 0) opts.log?.(`trainer: ${r.count} forward Convs as batched MatMuls (< ${maxPositions} positions)`);
    }
    const options = sessionOptions({ provider: provider.provider, threads: opts.threads, spinning: opts.spinning });
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(serializeModel(model), options);
    } catch (e) {
      throw new StudioError('INTERNAL', `ONNX Runtime rejected the training graph: ${(e as Error).message}`);
    }
    return new Trainer(training, session, provider, opts.optimizerName, options);
  }

  get stepCount(): number {
    return this.t;
  }

  /** One forward + backward + update on `batch`; returns the loss. */
  async trainStep(batch: Record<string, ort.Tensor>, lr: number): Promise<number> {
    return (await this.step(batch, lr)).loss;
  }

  /** One forward + backward + update; returns the loss and the mean of every reported output (reportOutputs). */
  async step(batch: Record<string, ort.Tensor>, lr: number): Promise<{ loss: number; terms: Record<string, number> }> {
    const feeds: Record<string, ort.Tensor> = { ...batch };
    feeds[this.training.lrInput] = new ort.Tensor('float32', Float32Array.of(lr), []);
    feeds[this.training.stepInput] = new ort.Tensor('float32', Float32Array.of(this.t + 1), []);
    const fetches: Record<string, ort.Tensor | null> = { [this.training.lossName]: null };
    for (const r of this.training.reportOutputs) fetches[r] = null;
    for (const s of this.training.state) {
      feeds[s.input] = this.current.get(s.input)!;
      fetches[s.output] = this.spare.get(s.input)!;
    }
    const out = await this.session.run(feeds, fetches);
    const swapped = this.current;
    this.current = this.spare;
    this.spare = swapped;
    this.t += 1;
    const terms: Record<string, number> = {};
    for (const r of this.training.reportOutputs) {
      const d = out[r].data as Float32Array;
      let sum = 0;
      for (let i = 0; i < d.length; i++) sum += d[i];
      terms[r] = d.length ? sum / d.length : NaN;
    }
    return { loss: Number((out[this.training.lossName].data as Float32Array)[0]), terms };
  }

  /** Current values (views, valid until the next step) of parameters, running stats and optimizer slots. */
  stateTensors(): Map<string, { dims: number[]; data: TypedArray }> {
    const m = new Map<string, { dims: number[]; data: TypedArray }>();
    for (const s of this.training.state) m.set(s.input, { dims: s.dims, data: this.current.get(s.input)!.data as Float32Array });
    return m;
  }

  /** Restores parameters / optimizer state / step from checkpoint data (names must match state inputs). */
  restore(data: CheckpointData): void {
    for (const s of this.training.state) {
      const legacy = s.legacy && !data.tensors.has(s.input) ? data.tensors.get(s.legacy.input) : undefined;
      const v = legacy ?? data.tensors.get(s.input);
      if (!v) continue;
      if (v.data.length !== s.initial.length) {
        throw new StudioError('BAD_REQUEST', `Checkpoint tensor "${legacy ? s.legacy!.input : s.input}" has ${v.data.length} values, the model needs ${s.initial.length}.`);
      }
      const target = this.current.get(s.input)!.data as Float32Array;
      target.set(v.data as Float32Array);
      if (legacy) for (let i = 0; i < target.length; i++) target[i] *= s.legacy!.scale;
    }
    this.t = data.step;
  }

  async saveCheckpoint(file: string, forward: ModelProto): Promise<void> {
    await saveCheckpoint(file, forward, { step: this.t, optimizer: this.optimizerName, tensors: this.stateTensors() });
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
