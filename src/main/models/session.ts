/**
 * The one place models create ONNX Runtime sessions, on the execution provider the engine chooses
 * (engine/runtime/providers.ts: CUDA on Linux, DirectML on Windows, else CPU). The choice is probed once per
 * process (it describes the machine, not any caller's state) and reported with each session.
 */
import * as ort from 'onnxruntime-node';
import { StudioError } from '../../shared/errors.js';
import { chooseProvider, describeChoice, sessionOptions, type ProviderChoice } from '../engine/runtime/providers.js';

export interface OpenSession {
  session: ort.InferenceSession;
  /** Execution provider the session runs on, for logs and the UI. */
  provider: string;
  /** Why other providers were skipped, in a sentence. */
  providerNote: string;
}

let choice: Promise<ProviderChoice> | undefined;

export async function openSession(model: Uint8Array | string, label = typeof model === 'string' ? model : 'model'): Promise<OpenSession> {
  choice ??= chooseProvider();
  const c = await choice;
  try {
    const session = await ort.InferenceSession.create(model as Uint8Array, sessionOptions({ provider: c.provider }));
    return { session, provider: c.provider, providerNote: describeChoice(c) };
  } catch (e) {
    throw new StudioError('UNREADABLE', `ONNX Runtime could not load ${label}: ${(e as Error).message}`);
  }
}

export { ort };
