import { BrushTool } from './brush/BrushTool.js';
import { EraserTool } from './eraser/EraserTool.js';
import { FillTool } from './fill/FillTool.js';
import { HeatmapTool } from './heatmap/HeatmapTool.js';
import { PanTool } from './pan/PanTool.js';
import { PolygonTool } from './polygon/PolygonTool.js';
import { StateNode, type StateNodeConstructor } from './StateNode.js';

/** Every tool of the Annotate screen, in toolbar order. */
export const TOOLS = [BrushTool, EraserTool, PolygonTool, FillTool, HeatmapTool, PanTool] as const;

export type ToolId = 'brush' | 'eraser' | 'polygon' | 'fill' | 'heatmap' | 'pan';

export const TOOL_IDS = TOOLS.map((t) => t.id) as readonly ToolId[];

export class RootState extends StateNode {
  static override id = 'root';
  static override initial = 'brush';
  static override children(): StateNodeConstructor[] {
    return [...TOOLS];
  }
}
