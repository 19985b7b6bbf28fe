/** `export --model MODELDIR --format onnx|triton|zip --out DIR`: package a model folder for deployment. */
import path from 'node:path';
import { StudioError } from '../../shared/errors.js';
import { flag, parseArgs, requireFlag } from '../args.js';
import { EXIT_OK, type CliCommand } from '../command.js';
import { EXPORT_FORMATS, exportModel, type ExportFormat } from '../../main/export/exportModel.js';

const usage = `Usage: node bin/defect-studio.js export --model MODELDIR --format onnx|triton|zip --out DIR [--name NAME]

Packages a trained model folder for the production line. NAME defaults to the model folder's name.
  onnx    DIR/NAME.onnx: self-contained ONNX. Input "image" uint8 [N,H,W,3] RGB (resized by the caller as its
          metadata_props["input_spec"] says); outputs anomaly_map, score, mask (map >= threshold) and
          is_defect (score >= threshold); /255, normalisation and threshold are inside the graph.
  triton  DIR/NAME/config.pbtxt + DIR/NAME/1/model.onnx: an entry of the Triton model repository DIR.
  zip     DIR/NAME.zip: model.onnx (as above), model.json and a README.md for the line engineer.
Never overwrites: exit 2 when the target exists. Exit 2 on a missing or corrupt model folder.
Prints one JSON line: { path, files, bytes, format, threshold, input }.`;

export const command: CliCommand = {
  name: 'export',
  summary: 'Export a model as self-contained ONNX, a Triton repository entry or a zip for the line',
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, { values: ['model', 'format', 'out', 'name'] });
    if (args.positional.length) throw new StudioError('BAD_REQUEST', `Unexpected argument "${args.positional[0]}".\n\n${usage}`);
    const format = requireFlag(args, 'format');
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
      throw new StudioError('BAD_REQUEST', `--format must be one of ${EXPORT_FORMATS.join(', ')}, got "${format}".`);
    }
    const r = await exportModel({
      modelDir: path.resolve(requireFlag(args, 'model')),
      format: format as ExportFormat,
      out: path.resolve(requireFlag(args, 'out')),
      name: flag(args, 'name'),
    });
    io.err(`export: ${r.modelId} as ${r.format} -> ${r.path} (${(r.bytes / 1e6).toFixed(2)} MB)`);
    io.out(JSON.stringify(r));
    return EXIT_OK;
  },
};
