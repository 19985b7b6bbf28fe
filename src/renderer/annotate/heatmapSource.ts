/**
 * Where Annotate's heatmap-to-mask gets its anomaly map: the Review screen's open run when it inspected this
 * dataset (with Review's current threshold, so the proposal matches the contour the user just looked at), else the
 * newest finished run of this dataset that has a map for the image (with that model's stored threshold).
 */
import type { StudioClient } from '../../shared/client.js';
import type { ImageRecord } from '../../shared/dataset.js';
import { isStudioError } from '../../shared/errors.js';
import { loadAnomalyMap } from '../review/anomalyMaps.js';
import { reviewStoreFor } from '../review/ReviewStore.js';
import type { HeatmapLoader } from './AnnotateSession.js';

export function reviewHeatmaps(client: StudioClient): HeatmapLoader {
  return async (datasetId: string, record: ImageRecord) => {
    const review = reviewStoreFor(client).get();
    const candidates: { runId: string; threshold: number | null }[] = [];
    if (review.run && review.runId && review.run.datasetId === datasetId) candidates.push({ runId: review.runId, threshold: review.threshold });
    const runs = await client.invoke('review.runs', {});
    for (const r of [...runs].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))) {
      if (r.datasetId === datasetId && !candidates.some((c) => c.runId === r.runId)) candidates.push({ runId: r.runId, threshold: null });
    }
    for (const c of candidates) {
      try {
        const map = await loadAnomalyMap(client, c.runId, record.path);
        return { heatmap: { data: map.values, width: map.width, height: map.height }, threshold: c.threshold ?? map.threshold, runId: c.runId };
      } catch (e) {
        if (isStudioError(e) && e.code === 'NOT_FOUND') continue; // that run did not inspect this image
        throw e;
      }
    }
    return null;
  };
}
