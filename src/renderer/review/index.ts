/** What other screens use from Review (the Annotate screen's heatmap-to-mask tool). */
export { loadAnomalyMap, loadMapFile, type AnomalyMap } from './anomalyMaps.js';
export { ReviewStore, reviewStoreFor, type ReviewState } from './ReviewStore.js';
