import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveWorkspaceRoot, workspacePaths } from '../../../src/main/workspace/paths.js';

describe('resolveWorkspaceRoot', () => {
  it('DEFECT_STUDIO_WORKSPACE wins on every platform', () => {
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      expect(resolveWorkspaceRoot({ env: { DEFECT_STUDIO_WORKSPACE: '/srv/ws', APPDATA: 'C:\\x' }, platform, homedir: '/home/u' })).toBe(
        path.resolve('/srv/ws'),
      );
    }
  });

  it('Windows: %APPDATA%\\DefectStudio, with a fallback when APPDATA is unset', () => {
    expect(resolveWorkspaceRoot({ env: { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, platform: 'win32', homedir: 'C:\\Users\\u' })).toBe(
      'C:\\Users\\u\\AppData\\Roaming\\DefectStudio',
    );
    expect(resolveWorkspaceRoot({ env: {}, platform: 'win32', homedir: 'C:\\Users\\u' })).toBe('C:\\Users\\u\\AppData\\Roaming\\DefectStudio');
  });

  it('Linux: $XDG_DATA_HOME/defect-studio when absolute, else ~/.local/share/defect-studio', () => {
    expect(resolveWorkspaceRoot({ env: { XDG_DATA_HOME: '/data/xdg' }, platform: 'linux', homedir: '/home/u' })).toBe('/data/xdg/defect-studio');
    expect(resolveWorkspaceRoot({ env: {}, platform: 'linux', homedir: '/home/u' })).toBe('/home/u/.local/share/defect-studio');
    expect(resolveWorkspaceRoot({ env: { XDG_DATA_HOME: 'relative/dir' }, platform: 'linux', homedir: '/home/u' })).toBe(
      '/home/u/.local/share/defect-studio',
    );
  });

  it('names the fixed workspace files', () => {
    const p = workspacePaths('/ws');
    expect(p.datasetsFile).toBe(path.join('/ws', 'datasets.json'));
    expect(p.thumbnails).toBe(path.join('/ws', 'cache', 'thumbs'));
  });
});
