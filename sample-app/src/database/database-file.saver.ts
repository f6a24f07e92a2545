import { rename, writeFile } from 'node:fs/promises';

/**
 * The `autoSaveCallback` of TypeORM's `sqljs` driver for a database kept in `file`. sql.js runs SQLite in memory
 * (WebAssembly, no native build, the same on every Node version); after each write TypeORM hands over the whole
 * database, which this writes to a temporary file beside `file` and renames over it, one save after the other. The
 * file is therefore always a complete database, even if the process dies mid-save or two saves overlap (TypeORM's
 * own autoSave writes in place, where overlapping saves can interleave). A failed save rejects, and the write that
 * caused it fails with it.
 *
 * @example
 * const options = { type: 'sqljs', location: file, autoSave: true, autoSaveCallback: databaseFileSaver(file) };
 */
export function databaseFileSaver(file: string): (database: Uint8Array) => Promise<void> {
  const temporary = `${file}.saving`;
  let previous: Promise<unknown> = Promise.resolve();
  return (database) => {
    const save = previous.then(async () => {
      await writeFile(temporary, database);
      await rename(temporary, file);
    });
    previous = save.catch(() => undefined);
    return save;
  };
}
