/**
 * Anomaly maps of a review run, as values in score units at image resolution. The Review screen draws them; the
 * Annotate screen's heatmap-to-mask tool proposes a mask from them at `threshold` (the model's stored one).
 *
 *   const map = await loadAnomalyMap(client, runId, imagePath);
 *   thresholdHeatmap({ data: map.values, width: map.width, height: map.height }, w, h, { threshold: map.threshold });
 *
 * Which run and image the Review screen shows: `ReviewStore.get().runId` / `.selectedPath` (src/renderer/review/ReviewStore.ts).
 */
import type { StudioClient } from '../../shared/client.js';
import { decodeGray16Png } from './png16.js';

export interface AnomalyMap {
  values: Float32Array;
  width: number;
  height: number;
  /** The model's stored threshold, in the same units as values. */
  threshold: number;
}

/** Fetches and decodes one map PNG (value = png / 65535 · maxValue); rejects with a sentence naming the file. */
export async function loadMapFile(client: StudioClient, mapFile: string, maxValue: number): Promise<{ values: Float32Array; width: number; height: number }> {
  let res: Response;
  try {
    res = await fetch(client.assetUrl({ kind: 'file', path: mapFile }));
  } catch (e) {
    throw new Error(`Could not fetch the anomaly map ${mapFile}: ${e instanceof Error ? e.message : String(e)}.`);
  }
  if (!res.ok) {
    const body = await res.text().catch(() => '');
    throw new Error(`Could not load the anomaly map ${mapFile} (HTTP ${res.status}${body ? `: ${body.slice(0, 200)}` : ''}).`);
  }
  const png = await decodeGray16Png(new Uint8Array(await res.arrayBuffer()), `anomaly map ${mapFile}`);
  const values = new Float32Array(png.data.length);
  const k = maxValue / 65535;
  for (let i = 0; i < values.length; i++) values[i] = png.data[i] * k;
  return { values, width: png.width, height: png.height };
}

/** The map of one image of a run (NOT_FOUND from the main process when the run has none for it). */
export async function loadAnomalyMap(client: StudioClient, runId: string, imagePath: string): Promise<AnomalyMap> {
  const info = await client.invoke('review.mapInfo', { runId, path: imagePath });
  const map = await loadMapFile(client, info.mapFile, info.mapMaxValue);
  return { ...map, threshold: info.threshold };
}
