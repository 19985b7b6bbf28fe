/**
 * Where Defect Studio keeps its own files. The workspace root is resolved from the environment once, by the
 * composition root, and passed down: services never read process.env themselves.
 */
import os from 'node:os';
import path from 'node:path';

export interface WorkspaceEnv {
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  homedir: string;
}

/**
 * DEFECT_STUDIO_WORKSPACE wins (tests, portable installs); otherwise the OS convention for per-user app data:
 * %APPDATA%\DefectStudio on Windows, ~/Library/Application Support/DefectStudio on macOS,
 * $XDG_DATA_HOME/defect-studio (default ~/.local/share/defect-studio) elsewhere.
 */
export function resolveWorkspaceRoot(
  { env, platform, homedir }: WorkspaceEnv = { env: process.env, platform: process.platform, homedir: os.homedir() },
): string {
  const explicit = env.DEFECT_STUDIO_WORKSPACE?.trim();
  if (explicit) return path.resolve(explicit);
  if (platform === 'win32') {
    const appData = env.APPDATA?.trim() || path.win32.join(homedir, 'AppData', 'Roaming');
    return path.win32.join(appData, 'DefectStudio');
  }
  if (platform === 'darwin') return path.posix.join(homedir, 'Library', 'Application Support', 'DefectStudio');
  // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME?.trim();
  const dataHome = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(homedir, '.local', 'share');
  return path.posix.join(dataHome, 'defect-studio');
}

/** The workspace's fixed sub-folders and files; one place so that no service hand-builds these paths. */
export function workspacePaths(root: string) {
  return {
    root,
    datasetsFile: path.join(root, 'datasets.json'),
    cache: path.join(root, 'cache'),
    thumbnails: path.join(root, 'cache', 'thumbs'),
    models: path.join(root, 'models'),
    runs: path.join(root, 'runs'),
    /** Review inspection runs: results/<runId>/{run.json,results.json,decisions.json,maps/}. */
    results: path.join(root, 'results'),
    exports: path.join(root, 'exports'),
  };
}
export type WorkspacePaths = ReturnType<typeof workspacePaths>;
