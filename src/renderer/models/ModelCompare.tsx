/** Side-by-side comparison of the checked models: one column per model, the best value per metric marked. */
import type { ModelRow } from '../../shared/contract/models.js';
import { bestIds, dataName, formatMetric, METRIC_COLUMNS, metricOf } from './columns.js';

export function ModelCompare({ rows, onClear }: { rows: ModelRow[]; onClear(): void }) {
  const facts: [string, (r: ModelRow) => string][] = [
    ['Method', (r) => r.method],
    ['Backbone', (r) => r.backbone],
    ['Training data', (r) => `${dataName(r)} (${r.training.trainImages} train / ${r.training.valImages} val)`],
    ['Input', (r) => `${r.input.fit} ${r.input.size}px`],
    ['Evaluated on', (r) => (r.metrics ? r.metrics.data : 'not evaluated')],
  ];
  return (
    <section className="models-compare" data-testid="models-compare" data-count={rows.length}>
      <div className="toolbar">
        <h3 className="section-title compare-title">Compare {rows.length} models</h3>
        <span className="toolbar-spacer" />
        <button className="btn small ghost" data-testid="compare-clear" onClick={onClear}>
          Clear selection
        </button>
      </div>
      <table className="counts compare-table">
        <thead>
          <tr>
            <th />
            {rows.map((r) => (
              <th key={r.id} data-testid="compare-model">
                {r.id}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {facts.map(([label, value]) => (
            <tr key={label}>
              <td className="dim">{label}</td>
              {rows.map((r) => (
                <td key={r.id}>{value(r)}</td>
              ))}
            </tr>
          ))}
          {METRIC_COLUMNS.map((c) => {
            const best = bestIds(rows, c);
            return (
              <tr key={c.key}>
                <td className="dim">{c.label}</td>
                {rows.map((r) => (
                  <td key={r.id} className={`mono${best.has(r.id) ? ' best' : ''}`} data-testid={`compare-${c.key}`}>
                    {formatMetric(metricOf(r, c.key), c.digits)}
                  </td>
                ))}
              </tr>
            );
          })}
          <tr>
            <td className="dim">Threshold</td>
            {rows.map((r) => (
              <td key={r.id} className="mono">
                {r.threshold.toPrecision(4)}
              </td>
            ))}
          </tr>
        </tbody>
      </table>
    </section>
  );
}
