import type { PaintValue } from '../../../mask/MaskWriter.js';
import { StrokeState } from '../../shared/StrokeState.js';

export class Erasing extends StrokeState {
  static override id = 'erasing';
  protected readonly label = 'eraser stroke';
  protected paintValue(): PaintValue {
    const s = this.editor.getSettings();
    return { value: 0, onlyWhere: s.eraseOnlyCurrentClass ? this.editor.getCurrentClassId() : undefined };
  }
}
