/**
 * Job records on disk: <workspace>/jobs/<id>/ holds job.json (the record, written atomically), log.txt (every
 * line the job's processes printed, time-stamped), progress.jsonl (every progress point, for the loss curve) and
 * work/ (the child's --work-dir: its checkpoint, see commands.ts checkpointPath, and training state). Records survive an app restart.
 */
import { appendFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { JobProgressPoint, JobRecord } from '../../shared/contract/jobs.js';
import { StudioError } from '../../shared/errors.js';
import { readJsonFile, writeJsonAtomic } from '../workspace/atomicWrite.js';

export function jobPaths(workspace: string, id: string) {
  const dir = path.join(workspace, 'jobs', id);
  return {
    dir,
    record: path.join(dir, 'job.json'),
    log: path.join(dir, 'log.txt'),
    progress: path.join(dir, 'progress.jsonl'),
    work: path.join(dir, 'work'),
    model: path.join(workspace, 'models', id),
    /** Pretraining jobs write <workspace>/backbones/<id>/backbone.onnx (not a model folder). */
    backbone: path.join(workspace, 'backbones', id),
  };
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class JobStore {
  constructor(readonly workspace: string) {}

  paths(id: string) {
    if (!ID_RE.test(id)) throw new StudioError('BAD_REQUEST', `"${id}" is not a job id (letters, digits, . _ - only).`);
    return jobPaths(this.workspace, id);
  }

  async save(job: JobRecord): Promise<void> {
    await writeJsonAtomic(this.paths(job.id).record, job);
  }

  async load(id: string): Promise<JobRecord> {
    const file = this.paths(id).record;
    const job = await readJsonFile<JobRecord | null>(file, JobRecord, null);
    if (!job) throw new StudioError('NOT_FOUND', `No job "${id}" in ${path.dirname(file)}; \`jobs list\` shows the jobs of this workspace.`);
    return job;
  }

  /** Every readable record; unreadable ones are reported through `onError` and skipped. */
  async loadAll(onError: (id: string, e: unknown) => void = () => undefined): Promise<JobRecord[]> {
    let ids: string[];
    try {
      ids = await readdir(path.join(this.workspace, 'jobs'));
    } catch {
      return [];
    }
    const jobs: JobRecord[] = [];
    for (const id of ids.filter((x) => ID_RE.test(x))) {
      try {
        jobs.push(await this.load(id));
      } catch (e) {
        onError(id, e);
      }
    }
    return jobs.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async appendLog(id: string, lines: string[]): Promise<void> {
    if (!lines.length) return;
    const p = this.paths(id);
    await mkdir(p.dir, { recursive: true });
    await appendFile(p.log, lines.map((l) => l + '\n').join(''));
  }

  async appendProgress(id: string, points: JobProgressPoint[]): Promise<void> {
    if (!points.length) return;
    const p = this.paths(id);
    await mkdir(p.dir, { recursive: true });
    await appendFile(p.progress, points.map((x) => JSON.stringify(x) + '\n').join(''));
  }

  /** The progress history, thinned to at most `max` points (first and last always kept) for the chart. */
  async history(id: string, max = 2000): Promise<JobProgressPoint[]> {
    let text: string;
    try {
      text = await readFile(this.paths(id).progress, 'utf8');
    } catch {
      return [];
    }
    const points: JobProgressPoint[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      const parsed = JobProgressPoint.safeParse(safeJson(line));
      if (parsed.success) points.push(parsed.data);
    }
    if (points.length <= max) return points;
    const every = Math.ceil(points.length / max);
    return points.filter((_, i) => i % every === 0 || i === points.length - 1);
  }

  async logTail(id: string, lines: number): Promise<string[]> {
    try {
      const all = (await readFile(this.paths(id).log, 'utf8')).split('\n').filter(Boolean);
      return all.slice(-lines);
    } catch {
      return [];
    }
  }

  async remove(id: string): Promise<void> {
    await rm(this.paths(id).dir, { recursive: true, force: true });
  }
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}
