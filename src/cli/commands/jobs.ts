/** `jobs list` / `jobs resume ID`: the workspace's training jobs from a terminal (the same service as the app). */
import path from 'node:path';
import { flag, hasFlag, parseArgs } from '../args.js';
import { EXIT_OK, type CliCommand } from '../command.js';
import { StudioError } from '../../shared/errors.js';
import type { JobRecord } from '../../shared/contract/jobs.js';
import { nodeLauncher } from '../../main/jobs/launcher.js';
import { JobsService } from '../../main/jobs/service.js';
import { resolveWorkspaceRoot } from '../../main/workspace/paths.js';

const usage = `Usage: node bin/defect-studio.js jobs list [--workspace DIR] [--json]
       node bin/defect-studio.js jobs resume ID [--workspace DIR]

list     the jobs recorded under <workspace>/jobs/ (newest first): id, state, method, dataset, step, result.
         A job recorded as running whose process is gone is marked interrupted (resumable).
resume   continues a cancelled, interrupted or failed job from its last checkpoint in this terminal, with the
         same processes the app would start (train --resume, then eval); progress on stderr, the final job
         record as JSON on stdout. Ctrl-C cancels it again (it checkpoints first).

Options:
  --workspace DIR   default: $DEFECT_STUDIO_WORKSPACE or the per-user app data folder
  --json            list: one JSON array of job records`;

const EXIT_JOB_NOT_DONE = 1;

function row(j: JobRecord): string {
  const step = j.progress ? `${j.progress.step}/${j.progress.totalSteps ?? '?'}` : '-';
  const result = j.state === 'done' && j.metrics ? `image_auroc=${j.metrics.image_auroc ?? '-'} pixel_ap=${j.metrics.pixel_ap ?? '-'}` : (j.error ?? '');
  return [j.id, j.state.padEnd(11), j.method.padEnd(10), j.datasetName.padEnd(16), step.padEnd(10), result].join('  ');
}

export const command: CliCommand = {
  name: 'jobs',
  summary: 'List training jobs of the workspace, or resume one from its checkpoint',
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, { values: ['workspace'], booleans: ['json'] });
    const [sub, id, extra] = args.positional;
    if (extra !== undefined || (sub !== 'list' && sub !== 'resume') || (sub === 'resume') !== (id !== undefined)) {
      throw new StudioError('BAD_REQUEST', `Expected \`jobs list\` or \`jobs resume ID\`.\n\n${usage}`);
    }
    const workspace = flag(args, 'workspace') ? path.resolve(flag(args, 'workspace')!) : resolveWorkspaceRoot();
    let lastDecile = -1;
    const jobs = await JobsService.open({
      workspace,
      launcher: nodeLauncher(),
      emit: {
        log: (jobId, level, message) => {
          if (jobId === id) io.err(level === 'info' ? message : `${level}: ${message}`);
        },
        progress: (jobId, p) => {
          if (jobId !== id || !p.totalSteps) return;
          const decile = Math.floor((10 * p.step) / p.totalSteps);
          if (decile === lastDecile) return;
          lastDecile = decile;
          const loss = p.losses.loss === undefined ? '' : ` loss ${p.losses.loss.toFixed(4)}`;
          io.err(`${p.stage ?? 'step'} ${p.step}/${p.totalSteps}${loss}${p.etaSeconds ? ` eta ${Math.round(p.etaSeconds)} s` : ''}`);
        },
      },
    });
    if (sub === 'list') {
      const list = jobs.list();
      if (hasFlag(args, 'json')) io.out(JSON.stringify(list));
      else if (!list.length) io.out(`No jobs in ${path.join(workspace, 'jobs')}.`);
      else for (const j of list) io.out(row(j));
      return EXIT_OK;
    }
    await jobs.resume(id!);
    const onSignal = () => void jobs.cancel(id!).catch(() => undefined);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const end = await jobs.waitFor(id!);
      io.out(JSON.stringify(end));
      return end.state === 'done' ? EXIT_OK : EXIT_JOB_NOT_DONE;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
