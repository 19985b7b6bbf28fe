/** Placeholder for screens that are planned but not built yet; says so plainly instead of faking controls. */
const PLANNED: Record<string, string> = {
  review: 'Review shows each image with its anomaly heatmap, an opacity and threshold control, ROC and score histogram, and steps through images by score.',
  annotate: 'Annotate paints ground-truth masks with brush, eraser, polygon and fill tools, turns heatmaps into mask proposals, and saves every stroke.',
  jobs: 'Jobs lists training runs with live loss curves, logs, the execution provider in use, cancel and resume.',
  models: 'Models compares trained runs by their metrics and exports self-contained ONNX and Triton model repositories.',
};

export function ComingSoon({ screen, title }: { screen: string; title: string }) {
  return (
    <div className="coming-soon" data-testid={`screen-${screen}`}>
      <h2>{title}</h2>
      <p>{PLANNED[screen] ?? ''}</p>
      <p className="dim">Coming in a later release. In this version, the Datasets screen is functional.</p>
    </div>
  );
}
