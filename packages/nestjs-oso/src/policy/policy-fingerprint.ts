import { stat } from 'node:fs/promises';
import type { OsoModuleOptions } from '../module/oso-module-options.interface.js';
import { findPolicyFiles } from './policy-loader.js';

/** What the policy files of some options look like on disk, to tell whether they changed since a load. */
export interface PolicyFingerprint {
  /** Equal for two looks at unchanged files: the file list with each file's modification time and size. */
  key: string;
  /** The policy files found (empty when finding them failed). */
  files: string[];
}

/**
 * Takes the fingerprint of the policy files: which files there are (so added and removed files count), and the
 * modification time and size of each. It is cheap enough for a look on every request (`reload: 'poll'`), and only
 * tells whether to look closer: a reload takes the files once their text is stable (see `readStablePolicySnapshot`).
 * A folder that cannot be read is a fingerprint of its own, so that the failure is reported once and not on every
 * look.
 *
 * @example
 * const { key } = await policyFingerprint({ policyDir: 'policy' });
 */
export async function policyFingerprint(
  options: Pick<OsoModuleOptions, 'policyDir' | 'policyFiles'>,
): Promise<PolicyFingerprint> {
  try {
    const files = await findPolicyFiles(options);
    const stats = await Promise.all(files.map((file) => stat(file).catch(() => undefined)));
    const stamps = stats.map((info, i) =>
      info ? `${files[i]}\t${info.mtimeMs}\t${info.size}` : `${files[i]}\tmissing`,
    );
    return { key: stamps.join('\n'), files };
  } catch (error) {
    return { key: `unreadable\t${(error as Error).message}`, files: [] };
  }
}
