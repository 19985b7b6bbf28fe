/** The new-job form: method (from the methods registry), dataset, main settings; empty fields = the method's defaults. */
import type { JobForm as Form, MethodInfo } from './jobsStore.js';
import type { JobsState } from './jobsStore.js';

export interface JobFormProps {
  form: Form;
  methods: MethodInfo[];
  datasets: JobsState['datasets'];
  baseModels: JobsState['baseModels'];
  /** Backbones written by finished pretraining jobs. */
  pretrained: { path: string; label: string }[];
  starting: boolean;
  onChange(p: Partial<Form>): void;
  onStart(): void;
}

/** A whole-number setting typed as text: empty means the method's default (checked when the job starts). */
function NumberField({ label, testId, value, placeholder, onChange }: { label: string; testId: string; value: string; placeholder?: string; onChange(v: string): void }) {
  return (
    <label className="form-row">
      <span>{label}</span>
      <input className="input mono" data-testid={testId} inputMode="numeric" placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

export function JobForm({ form, methods, datasets, baseModels, pretrained, starting, onChange, onStart }: JobFormProps) {
  const method = methods.find((m) => m.name === form.method);
  const pretrain = method?.kind === 'pretrain';
  return (
    <form
      className="job-form"
      data-testid="job-form"
      onSubmit={(e) => {
        e.preventDefault();
        onStart();
      }}
    >
      <label className="form-row">
        <span>Method</span>
        <select className="select" data-testid="job-method" value={form.method} onChange={(e) => onChange({ method: e.target.value })}>
          {methods.map((m) => (
            <option key={m.name} value={m.name}>
              {m.name}
            </option>
          ))}
        </select>
      </label>
      {method && <p className="form-hint dim">{method.summary}</p>}
      <label className="form-row">
        <span>Dataset</span>
        <select className="select" data-testid="job-dataset" value={form.datasetId} onChange={(e) => onChange({ datasetId: e.target.value })}>
          {datasets.length === 0 && <option value="">— open one on the Datasets screen —</option>}
          {datasets.map((d) => (
            <option key={d.id} value={d.id} title={d.root}>
              {d.name}
            </option>
          ))}
        </select>
      </label>
      <div className="form-grid">
        <NumberField label="Epochs" testId="job-epochs" placeholder="default" value={form.epochs} onChange={(v) => onChange({ epochs: v })} />
        <NumberField label="Image size" testId="job-image-size" placeholder={pretrain ? '128' : '256'} value={form.imageSize} onChange={(v) => onChange({ imageSize: v })} />
        <label className="form-row">
          <span>Backbone</span>
          {/* Pretraining always trains the ResNet-style CoRe backbone. */}
          <select className="select" data-testid="job-backbone" value={form.backbone} disabled={pretrain} onChange={(e) => onChange({ backbone: e.target.value })}>
            <option value="">default ({method?.defaultBackbone ?? '—'})</option>
            <option value="mobilenetv2">mobilenetv2</option>
            <option value="resnet">resnet</option>
            {pretrained.map((b) => (
              <option key={b.path} value={b.path} title={b.path}>
                {b.label}
              </option>
            ))}
          </select>
        </label>
        <NumberField label="Seed" testId="job-seed" value={form.seed} onChange={(v) => onChange({ seed: v })} />
      </div>
      {method?.learningType === 'supervised' && (
        <div className="form-grid">
          <label className="form-row">
            <span>Base model</span>
            <select className="select" data-testid="job-base-model" value={form.baseModel} onChange={(e) => onChange({ baseModel: e.target.value })}>
              {baseModels.length === 0 && <option value="">— train an unsupervised model first —</option>}
              {baseModels.map((b) => (
                <option key={b.dir} value={b.dir} title={b.dir}>
                  {b.label}
                </option>
              ))}
            </select>
          </label>
          <NumberField label="Shots per class" testId="job-shots" placeholder="5" value={form.shots} onChange={(v) => onChange({ shots: v })} />
        </div>
      )}
      <label className={`check${pretrain ? ' disabled' : ''}`}>
        <input type="checkbox" data-testid="job-evaluate" checked={form.evaluate && !pretrain} disabled={pretrain} onChange={(e) => onChange({ evaluate: e.target.checked })} />
        Evaluate on the test split when done
      </label>
      <button className="btn primary" type="submit" data-testid="job-start" disabled={starting || !form.method || !form.datasetId}>
        {starting ? 'Starting…' : 'Start job'}
      </button>
    </form>
  );
}
