/** Anomaly-detection metrics: image/pixel AUROC, AP, best F1 (+ threshold), PRO. */
export { binaryMetrics, binaryMetricsFromSplit, splitByLabel, type BinaryMetrics } from './binary.js';
export { connectedComponents, type Components } from './components.js';
export { proAuc, type ProInput } from './pro.js';
export { MetricsCollector, type AnomalyMetrics } from './collect.js';
