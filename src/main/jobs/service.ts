/**
 * The jobs service: queues training jobs, runs each phase (train, then eval) in its own process through a
 * ProcessLauncher, turns the child's lines into job.progress / job.log events and a log file, and keeps the
 * record on disk current so that jobs survive an app restart.
 *
 * Stopping: cancel sends SIGTERM (the CLI aborts the training loop, which checkpoints) and SIGKILL after a grace
 * period; the job becomes `cancelled` and keeps its checkpoint (pause). A process that dies without being asked
 * (SIGKILL, crash, out of memory) leaves the job `interrupted`. Both resume with `--resume` from the checkpoint.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { JobProgressPoint, JobRecord, JobState } from '../../shared/contract/jobs.js';
import { JobSettings } from '../../shared/contract/jobs.js';
import { StudioError } from '../../shared/errors.js';
import { checkCheckpoint } from './checkpointCheck.js';
import { checkpointPath, evalArgs, trainArgs, type JobPhase } from './commands.js';
import type { JobProcess, ProcessLauncher } from './launcher.js';
import { lastJsonObject, parseChildLine } from './protocol.js';
import { JobQueue } from './queue.js';
import { JobStore } from './store.js';

export interface JobsEmitter {
  progress(jobId: string, point: JobProgressPoint): void;
  log(jobId: string, level: 'info' | 'warn' | 'error', message: string, time: string): void;
  state(job: JobRecord): void;
}

export interface JobsServiceOptions {
  workspace: string;
  launcher: ProcessLauncher;
  emit?: Partial<JobsEmitter>;
  /** Heavy jobs at a time (default 1). */
  capacity?: number;
  /** Milliseconds between SIGTERM and SIGKILL when a job is cancelled (default 20 s). */
  killGraceMs?: number;
  /** Provider name shown when the child does not report one. */
  executionProvider?: () => Promise<string | null>;
  /** Replaces the command line of a phase (tests run a stand-in training script through the same protocol). */
  argsFor?: (job: JobRecord, phase: JobPhase, resume: boolean) => string[];
}

export interface StartJob {
  method: string;
  kind?: JobRecord['kind'];
  datasetRoot: string;
  datasetName?: string;
  settings?: Partial<JobRecord['settings']>;
}

const TERMINAL: readonly JobState[] = ['done', 'failed', 'cancelled', 'interrupted'];
const RESUMABLE: readonly JobState[] = ['failed', 'cancelled', 'interrupted'];
/** How often the record (with the latest progress) is rewritten while a job runs. */
const SAVE_EVERY_MS = 2000;

interface Running {
  proc: JobProcess | null;
  stop: 'cancel' | 'shutdown' | null;
  killTimer: NodeJS.Timeout | null;
}

export class JobsService {
  private readonly store: JobStore;
  private readonly queue: JobQueue;
  private readonly jobs = new Map<string, JobRecord>();
  private readonly running = new Map<string, Running>();
  private readonly waiters = new Map<string, Array<(job: JobRecord) => void>>();
  /** One chain of disk writes per job, so log lines stay in order and an older record never overwrites a newer one. */
  private readonly writes = new Map<string, Promise<void>>();
  private closing = false;

  private constructor(private readonly o: JobsServiceOptions) {
    this.store = new JobStore(o.workspace);
    this.queue = new JobQueue(o.capacity ?? 1);
  }

  /**
   * Loads the workspace's records. A job found `running` whose process is gone (or whose owning app is gone)
   * becomes `interrupted`; queued jobs are queued again in their original order.
   */
  static async open(o: JobsServiceOptions): Promise<JobsService> {
    const s = new JobsService(o);
    for (const job of await s.store.loadAll((id, e) => s.emitLog(id, 'warn', `job record unreadable, skipped: ${(e as Error).message}`))) {
      s.jobs.set(job.id, job);
      if (job.state === 'running' && job.pid && alive(job.pid) && job.ownerPid && job.ownerPid !== process.pid && alive(job.ownerPid)) {
        continue; // another app instance (or `jobs resume` in a terminal) runs it: show it, do not touch it
      }
      if (job.state === 'running') {
        await s.update(job.id, {
          state: 'interrupted',
          pid: null,
          resumable: true,
          error: `The app stopped while this job ran${job.pid ? ` (process ${job.pid} ${alive(job.pid) ? 'was left running and is no longer followed' : 'is gone'})` : ''}; resume it to continue from its last checkpoint.`,
        });
      }
    }
    for (const job of s.jobs.values()) if (job.state === 'queued') s.queue.enqueue(job.id);
    s.pump();
    return s;
  }

  list(): JobRecord[] {
    // Newest first; jobs created in the same millisecond keep their creation (insertion) order, reversed.
    return [...this.jobs.values()].map((j, i) => ({ j, i })).sort((a, b) => b.j.createdAt.localeCompare(a.j.createdAt) || b.i - a.i).map(({ j }) => j);
  }

  get(id: string): JobRecord {
    const job = this.jobs.get(id);
    if (!job) throw new StudioError('NOT_FOUND', `No job "${id}" in ${path.join(this.o.workspace, 'jobs')}.`);
    return job;
  }

  history(id: string) {
    this.get(id);
    return this.store.history(id);
  }

  logTail(id: string, lines: number) {
    this.get(id);
    return this.store.logTail(id, lines);
  }

  async start(req: StartJob): Promise<JobRecord> {
    if (this.closing) throw new StudioError('INVALID_STATE', 'The app is closing; start the job again after it restarts.');
    const now = new Date();
    const id = `${now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-${req.method.replace(/[^A-Za-z0-9_-]/g, '')}-${randomBytes(3).toString('hex')}`;
    const p = this.store.paths(id);
    const job: JobRecord = {
      id,
      kind: req.kind ?? 'train',
      method: req.method,
      datasetRoot: path.resolve(req.datasetRoot),
      datasetName: req.datasetName ?? path.basename(req.datasetRoot),
      settings: JobSettings.parse(req.settings ?? {}),
      state: 'queued',
      phase: null,
      pid: null,
      ownerPid: null,
      createdAt: now.toISOString(),
      startedAt: null,
      endedAt: null,
      attempts: 0,
      progress: null,
      modelDir: req.kind === 'pretrain' ? p.backbone : p.model,
      workDir: p.work,
      logFile: p.log,
      metrics: null,
      error: null,
      resumable: false,
    };
    await mkdir(p.work, { recursive: true });
    this.jobs.set(id, job);
    await this.persist(job);
    this.emitLog(id, 'info', `queued: ${job.method} on ${job.datasetRoot} ${JSON.stringify(job.settings)}`);
    this.queue.enqueue(id);
    this.pump();
    return this.get(id);
  }

  async cancel(id: string): Promise<JobRecord> {
    const job = this.get(id);
    if (job.state === 'queued') {
      this.queue.remove(id);
      this.emitLog(id, 'info', 'cancelled before it started');
      return this.update(id, { state: 'cancelled', resumable: true, endedAt: new Date().toISOString() });
    }
    const r = this.running.get(id);
    if (job.state === 'running' && !r) throw new StudioError('INVALID_STATE', `Job ${id} is run by another process (${job.ownerPid}); cancel it there.`);
    if (job.state !== 'running' || !r) throw new StudioError('INVALID_STATE', `Job ${id} is ${job.state}; only queued or running jobs can be cancelled.`);
    this.stopProcess(id, r, 'cancel');
    return job;
  }

  /** Queues a stopped job again; its training continues from the checkpoint in its work folder. */
  async resume(id: string): Promise<JobRecord> {
    const job = this.get(id);
    if (!RESUMABLE.includes(job.state)) throw new StudioError('INVALID_STATE', `Job ${id} is ${job.state}; only cancelled, interrupted or failed jobs can be resumed.`);
    const step = await checkCheckpoint(checkpointPath(this.get(id))).catch(async (e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      this.emitLog(id, 'error', message);
      await this.update(id, { state: 'failed', error: message, resumable: true });
      throw e;
    });
    this.emitLog(id, 'info', step === null ? 'resume: no checkpoint, training starts from the beginning' : `resume: from the checkpoint at step ${step}`);
    const updated = await this.update(id, { state: 'queued', error: null, endedAt: null, resumable: false });
    this.queue.enqueue(id);
    this.pump();
    return updated;
  }

  async remove(id: string): Promise<void> {
    const job = this.get(id);
    if (job.state === 'running') throw new StudioError('INVALID_STATE', `Job ${id} is running; cancel it first.`);
    this.queue.remove(id);
    this.jobs.delete(id);
    await this.serial(id, () => this.store.remove(id), true);
  }

  /** Resolves when the job reaches done / failed / cancelled / interrupted. */
  waitFor(id: string): Promise<JobRecord> {
    const job = this.get(id);
    if (TERMINAL.includes(job.state) && !this.running.has(id)) return Promise.resolve(job);
    return new Promise((resolve) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]));
  }

  /** Stops running jobs (SIGTERM, they checkpoint) and waits for them; they are `interrupted` and resumable. */
  async close(): Promise<void> {
    this.closing = true;
    const waits = [...this.running.entries()].map(([id, r]) => {
      this.stopProcess(id, r, 'shutdown');
      return this.waitFor(id);
    });
    await Promise.all(waits);
  }

  private stopProcess(id: string, r: Running, why: 'cancel' | 'shutdown'): void {
    r.stop ??= why;
    this.emitLog(id, 'info', why === 'cancel' ? 'cancelling: the training loop checkpoints and stops' : 'app closing: stopping the job (it checkpoints)');
    r.proc?.kill('SIGTERM');
    r.killTimer ??= setTimeout(() => {
      this.emitLog(id, 'warn', `the process did not stop within ${(this.o.killGraceMs ?? 20_000) / 1000} s; killed`);
      r.proc?.kill('SIGKILL');
    }, this.o.killGraceMs ?? 20_000);
  }

  private pump(): void {
    if (this.closing) return;
    for (const id of this.queue.takeStartable()) {
      void this.run(id).catch((e: unknown) => this.emitLog(id, 'error', `internal error running the job: ${(e as Error).stack ?? String(e)}`));
    }
  }

  private async run(id: string): Promise<void> {
    const r: Running = { proc: null, stop: null, killTimer: null };
    this.running.set(id, r);
    let final: Partial<JobRecord>;
    try {
      const before = this.get(id);
      const resume = before.attempts > 0 && existsSync(checkpointPath(this.get(id)));
      await this.update(id, { state: 'running', phase: 'train', attempts: before.attempts + 1, startedAt: new Date().toISOString(), endedAt: null, error: null, metrics: null, resumable: false });
      final = await this.phase(id, r, 'train', resume);
      const job = this.get(id);
      if (final.state === 'done' && job.kind === 'train' && job.settings.evaluate) final = await this.phase(id, r, 'eval', false);
    } catch (e) {
      final = { state: 'failed', error: e instanceof Error ? e.message : String(e) };
    } finally {
      if (r.killTimer) clearTimeout(r.killTimer);
      this.running.delete(id);
      this.queue.finished(id);
    }
    const state = final.state ?? 'failed';
    const job = await this.update(id, { ...final, state, pid: null, endedAt: new Date().toISOString(), resumable: RESUMABLE.includes(state) });
    this.emitLog(id, state === 'done' ? 'info' : state === 'failed' ? 'error' : 'warn', `${state}${job.error ? `: ${job.error}` : ''}`);
    for (const w of this.waiters.get(id) ?? []) w(job);
    this.waiters.delete(id);
    this.pump();
  }

  /** Runs one process of the job to its end; the returned fields say how it ended. */
  private async phase(id: string, r: Running, phase: JobPhase, resume: boolean): Promise<Partial<JobRecord>> {
    if (r.stop) return { state: r.stop === 'cancel' ? 'cancelled' : 'interrupted' };
    const job = this.get(id);
    const args = this.o.argsFor ? this.o.argsFor(job, phase, resume) : phase === 'train' ? trainArgs(job, resume) : evalArgs(job);
    const provider = (await this.o.executionProvider?.().catch(() => null)) ?? null;
    const stdout: string[] = [];
    let lastError: string | null = null;
    let pending: JobProgressPoint[] = [];
    let lastSave = Date.now();
    this.emitLog(id, 'info', `${phase}${resume ? ' (resume)' : ''}: ${args.join(' ')}`);
    const proc = this.o.launcher.launch(
      { args },
      {
        stdout: (line) => {
          stdout.push(line);
          if (stdout.length > 200) stdout.shift();
        },
        stderr: (line) => {
          const parsed = parseChildLine(line);
          if (parsed.kind === 'log') {
            if (parsed.level === 'error') lastError = parsed.message.replace(/^error:\s*/i, '');
            this.emitLog(id, parsed.level, parsed.message);
            return;
          }
          const point = { ...parsed.point, executionProvider: parsed.point.executionProvider ?? provider, stage: parsed.point.stage ?? phase };
          const rec = this.get(id);
          this.jobs.set(id, { ...rec, progress: point });
          pending.push(point);
          this.o.emit?.progress?.(id, point);
          if (Date.now() - lastSave >= SAVE_EVERY_MS) {
            lastSave = Date.now();
            const batch = pending;
            pending = [];
            void this.serial(id, async () => {
              await this.store.appendProgress(id, batch);
              await this.store.save(this.get(id));
            });
          }
        },
      },
    );
    r.proc = proc;
    await this.update(id, { phase, pid: proc.pid, ownerPid: process.pid });
    // A cancel that arrived while the process was being started.
    if (r.stop) proc.kill('SIGTERM');
    const { code, signal } = await proc.exited;
    r.proc = null;
    await this.serial(id, () => this.store.appendProgress(id, pending));
    if (r.stop && !(code === 0 && phase === 'eval')) {
      return { state: r.stop === 'cancel' ? 'cancelled' : 'interrupted', error: r.stop === 'cancel' ? null : 'The app closed while this job ran; resume it to continue from its last checkpoint.' };
    }
    if (signal) return { state: 'interrupted', error: `The ${phase} process was killed (${signal}); resume the job to continue from its last checkpoint.` };
    if (code !== 0) return { state: 'failed', error: lastError ?? `The ${phase} process exited with code ${code}; see the job log ${this.store.paths(id).log}.` };
    if (phase === 'eval' || job.kind === 'pretrain') {
      // eval's metrics, or pretrain's summary (backbone file, steps, seconds)
      const metrics = lastJsonObject(stdout);
      if (!metrics) return { state: 'failed', error: `The ${phase === 'eval' ? 'evaluation' : 'pretraining'} printed no result; see the job log.` };
      return { state: 'done', metrics };
    }
    return { state: 'done' };
  }

  private async update(id: string, patch: Partial<JobRecord>): Promise<JobRecord> {
    const job = { ...this.get(id), ...patch };
    this.jobs.set(id, job);
    await this.persist(job);
    return job;
  }

  private async persist(job: JobRecord): Promise<void> {
    await this.serial(
      job.id,
      async () => {
        const current = this.jobs.get(job.id); // a removed job is not written back
        if (current) await this.store.save(current);
      },
      true,
    );
    this.o.emit?.state?.(job);
  }

  /** Runs `write` after the job's earlier writes; failures of best-effort writes (logs, progress) are dropped. */
  private serial(id: string, write: () => Promise<void>, rethrow = false): Promise<void> {
    const next = (this.writes.get(id) ?? Promise.resolve()).then(write);
    const settled = next.catch(() => undefined);
    this.writes.set(id, settled);
    void settled.then(() => {
      if (this.writes.get(id) === settled) this.writes.delete(id);
    });
    return rethrow ? next : settled;
  }

  private emitLog(id: string, level: 'info' | 'warn' | 'error', message: string): void {
    const time = new Date().toISOString();
    this.o.emit?.log?.(id, level, message, time);
    if (this.jobs.has(id)) void this.serial(id, () => this.store.appendLog(id, [`${time} ${level.padEnd(5)} ${message}`]));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
