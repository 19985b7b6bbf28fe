/** README.md for the line engineer, shipped in the zip export: how to run the model and how to read its outputs. */
import type { ModelJson } from '../models/modelFolder.js';
import type { ExportedOnnx } from './onnx.js';

function latestMetrics(json: ModelJson): { data: string; values: Record<string, unknown> } | null {
  const entries = Object.entries(json.metrics ?? {}).filter(([, v]) => v && typeof v === 'object') as [string, Record<string, unknown>][];
  if (entries.length === 0) return null;
  entries.sort((a, b) => String(b[1].evaluatedAt ?? '').localeCompare(String(a[1].evaluatedAt ?? '')));
  return { data: entries[0][0], values: entries[0][1] };
}

export function lineReadme(modelId: string, json: ModelJson, exported: ExportedOnnx): string {
  const { input, threshold } = exported;
  const shape = `[${input.shape.join(', ')}]`;
  const m = latestMetrics(json);
  const metricLines = m
    ? ['image_auroc', 'image_ap', 'image_f1', 'pixel_auroc', 'pixel_ap', 'pro', 'ms_per_image']
        .filter((k) => typeof m.values[k] === 'number')
        .map((k) => `| ${k} | ${m.values[k] as number} |`)
    : [];
  return `# Defect Studio model \`${modelId}\`

Method **${json.method}**, backbone ${json.backbone.name}, trained ${json.createdAt} on ${json.training.trainImages} good
images of \`${json.training.root}\` (${json.training.split}).

## Files

| file | what |
|---|---|
| \`model.onnx\` | the self-contained model: raw RGB pixels in, anomaly map, score and OK/NOK out |
| \`model.json\` | how it was trained, its threshold and score statistics, its metrics (Defect Studio's own description) |
| \`README.md\` | this file |

## Input

\`image\`: uint8 ${shape}, layout NHWC (batch, height, width, channel), channels **RGB**, values 0-255.
${typeof input.shape[1] === 'number' ? `Every image must be exactly ${input.shape[2]} x ${input.shape[1]} pixels.` : 'Height and width may vary from image to image (one size per batch).'}

Before feeding an image, make it the size the model was trained on:

- geometry: ${input.geometry}
- resampling: ${input.resize}

Scores equal Defect Studio's when the image is prepared this way (sharp / libvips \`cubic\`); another bicubic
(e.g. OpenCV INTER_CUBIC) gives slightly different scores near the threshold. Everything else - scaling to
0-1, ${json.params.photometric === true ? 'per-image brightness standardisation, ' : ''}the backbone normalisation and the threshold - is inside the model.

## Outputs

| name | type | meaning |
|---|---|---|
| \`anomaly_map\` | float32 [N, 1, H, W] | per pixel anomaly, on the input grid; higher = more unusual than the good training images |
| \`score\` | float32 [N] | image anomaly score (${json.params.scoreTopFraction ? `mean of the top ${Number(json.params.scoreTopFraction) * 100}% of map pixels` : 'from the map'}) |
| \`mask\` | uint8 [N, 1, H, W] | 1 where \`anomaly_map >= threshold\`: where the defect is |
| \`is_defect\` | uint8 [N] | 1 where \`score >= threshold\`: the part is **NOK**; 0 = OK |

## Threshold

**${threshold}** (${json.thresholdSource === 'f1-validation' ? 'best F1 on held-out labelled validation images' : 'a high quantile of held-out good images\' scores'}).
Good images scored mean ${json.scoreStats.mean.toPrecision(4)}, p95 ${json.scoreStats.p95.toPrecision(4)}, p99 ${json.scoreStats.p99.toPrecision(4)}, max ${json.scoreStats.max.toPrecision(4)} (n = ${json.scoreStats.n}).
To be stricter (fewer escapes, more false alarms) compare \`score\` against a lower value yourself; the
\`is_defect\` and \`mask\` outputs always use the threshold above. The same values are in the ONNX file's
metadata_props (\`threshold\`, \`input_spec\`, \`normalisation\`, \`method\`, \`version\`).

## Run it

Python (onnxruntime, numpy, Pillow - Pillow's BICUBIC is close to, not identical with, libvips' cubic):

\`\`\`python
import numpy as np, onnxruntime as ort
from PIL import Image
sess = ort.InferenceSession("model.onnx")
img = Image.open("part.png").convert("RGB")
# resize as described under Input, e.g. img = img.resize((W, H), Image.BICUBIC)
x = np.asarray(img, dtype=np.uint8)[None]          # [1, H, W, 3]
anomaly_map, score, mask, is_defect = sess.run(None, {"image": x})
print("NOK" if is_defect[0] else "OK", float(score[0]))
\`\`\`

Node.js (onnxruntime-node): \`new ort.Tensor('uint8', rgbBytes, [1, H, W, 3])\` as \`image\`, same outputs.
${m ? `\n## Metrics\n\nOn \`${m.data}\` (test split):\n\n| metric | value |\n|---|---|\n${metricLines.join('\n')}\n` : ''}`;
}
