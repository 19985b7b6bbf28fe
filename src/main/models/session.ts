/**
 * The one place models create ONNX Runtime sessions. When the engine's runtime helper (execution-provider choice:
 * CUDA / DirectML / CPU) lands, this module delegates to it; callers only see `openSession`.
 */
import * as ort from 'onnxruntime-node';
import { StudioError } from '../../shared/errors.js';

export interface OpenSession {
  session: ort.InferenceSession;
  /** Execution provider the session runs on, for logs and the UI. */
  provider: string;
}

export async function openSession(model: Uint8Array | string, label = typeof model === 'string' ? model : 'model'): Promise<OpenSession> {
  try {
    const session = await ort.InferenceSession.create(model as Uint8Array, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
    });
    return { session, provider: 'cpu' };
  } catch (e) {
    throw new StudioError('UNREADABLE', `ONNX Runtime could not load ${label}: ${(e as Error).message}`);
  }
}

export { ort };
