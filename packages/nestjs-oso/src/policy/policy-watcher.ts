import { readdirSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { OsoModuleOptions } from '../module/oso-module-options.interface.js';

/** How long the watcher waits after the last file event before it reports a change (editors write in bursts). */
export const POLICY_WATCH_DEBOUNCE_MS = 100;

/**
 * Watches the policy folders with their subfolders, and the folders of the extra policy files, and calls `onChange`
 * once a burst of file events has settled. It does not decide whether the policy really changed: the caller compares
 * fingerprints, so editor swap files and repeated events cost a look and nothing more.
 *
 * Each folder has a watcher of its own, kept in step with the folder tree at every change. Node 20's
 * `fs.watch(dir, { recursive: true })` on Linux loses a file once an editor has saved it by renaming a new file over
 * it, which is how many editors save.
 */
export class PolicyWatcher {
  private readonly roots: string[];
  private readonly fileNames = new Map<string, Set<string>>();
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    options: Pick<OsoModuleOptions, 'policyDir' | 'policyFiles'>,
    private readonly onChange: () => void,
    private readonly onError: (path: string, error: Error) => void,
    private readonly debounceMs = POLICY_WATCH_DEBOUNCE_MS,
  ) {
    this.roots = ([] as string[]).concat(options.policyDir ?? []).map((dir) => resolve(dir));
    for (const file of (options.policyFiles ?? []).map((f) => resolve(f))) {
      this.fileNames.set(dirname(file), (this.fileNames.get(dirname(file)) ?? new Set()).add(basename(file)));
    }
    this.sync();
  }

  /** Stops watching; no `onChange` call comes after this. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** Watches every folder that now exists below the roots (and the folders of single files), and no other. */
  private sync(): void {
    // Which names in each folder matter: all of them below a root, only the policy files elsewhere.
    const wanted = new Map<string, Set<string> | 'all'>(this.fileNames);
    for (const dir of this.roots.flatMap((root) => folderTree(root))) wanted.set(dir, 'all');
    for (const [dir, watcher] of this.watchers) {
      if (wanted.has(dir)) continue;
      watcher.close();
      this.watchers.delete(dir);
    }
    for (const [dir, names] of wanted) if (!this.watchers.has(dir)) this.add(dir, names);
  }

  private add(dir: string, names: Set<string> | 'all'): void {
    try {
      // Editors replace files on save, so the folder of a single file is watched, not the file.
      const watcher = watch(dir, { persistent: true }, (_event, name) => {
        if (names === 'all' || name === null || names.has(String(name))) this.schedule();
      });
      // An unhandled 'error' event would end the process; a folder that disappears is reported instead.
      watcher.on('error', (error) => this.onError(dir, error));
      this.watchers.set(dir, watcher);
    } catch (error) {
      this.onError(dir, error as Error);
    }
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.closed) return;
      this.sync();
      this.onChange();
    }, this.debounceMs);
  }
}

/** A folder and all its subfolders; nothing for a folder that does not exist (any more). */
function folderTree(dir: string): string[] {
  try {
    const subfolders = readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory());
    return [dir, ...subfolders.flatMap((entry) => folderTree(join(dir, entry.name)))];
  } catch {
    return [];
  }
}
