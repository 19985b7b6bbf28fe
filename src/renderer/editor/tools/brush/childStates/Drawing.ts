import type { PaintValue } from '../../../mask/MaskWriter.js';
import { StrokeState } from '../../shared/StrokeState.js';

export class Drawing extends StrokeState {
  static override id = 'drawing';
  protected readonly label = 'brush stroke';
  protected paintValue(): PaintValue {
    const s = this.editor.getSettings();
    // "Protect other classes" paints only background, so a new class never eats an existing defect's pixels.
    return { value: this.editor.getCurrentClassId(), onlyWhere: s.protectOtherClasses ? 0 : undefined };
  }
}
