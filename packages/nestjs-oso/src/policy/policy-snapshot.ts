import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OsoModuleOptions } from '../module/oso-module-options.interface.js';
import { policyFingerprint } from './policy-fingerprint.js';
import { findPolicyFiles } from './policy-loader.js';

/**
 * How long the policy files must stay the same before a reload takes them (the default of the `reloadSettleMs`
 * option). A file rewritten in place is truncated, then written in parts; a writer that pauses for less than this
 * between two parts is never loaded half-written. Writers that pause longer should write a new file and rename it
 * over the old one.
 *
 * @example
 * const settleMs = options.reloadSettleMs ?? POLICY_RELOAD_SETTLE_MS;
 */
export const POLICY_RELOAD_SETTLE_MS = 1_000;

/**
 * One policy file as it was read.
 *
 * @example
 * const source: PolicySource = { file: '/app/policy/base.polar', text: 'allow(_, "read", _);' };
 */
export interface PolicySource {
  /** The absolute path, which oso's error messages name. */
  file: string;
  /** The Polar text. */
  text: string;
}

/**
 * The policy files read at one moment: the text a reload loads, never read again from disk.
 *
 * @example
 * const { sources, error } = await readPolicySnapshot({ policyDir: 'policy' });
 */
export interface PolicySnapshot {
  /** The fingerprint (`policyFingerprint`) of the files, taken before they were read. */
  fingerprint: string;
  /** Equal for two snapshots of the same files with the same text. */
  content: string;
  /** The files with their text, in load order; empty when `error` is set. */
  sources: PolicySource[];
  /** Why the files could not be found or read (a folder without policy files, a file removed while read). */
  error?: Error;
}

/**
 * Reads the policy files (found as `findPolicyFiles` does) with their fingerprint. A failure to find or read them
 * is a snapshot of its own, so that it can be reported once.
 *
 * @example
 * const { sources } = await readPolicySnapshot({ policyDir: 'policy' });
 */
export async function readPolicySnapshot(
  options: Pick<OsoModuleOptions, 'policyDir' | 'policyFiles'>,
): Promise<PolicySnapshot> {
  const { key: fingerprint } = await policyFingerprint(options);
  try {
    const files = await findPolicyFiles(options);
    const sources = await Promise.all(files.map(async (file) => ({ file, text: await readFile(file, 'utf8') })));
    return { fingerprint, content: JSON.stringify(sources.map(({ file, text }) => [file, text])), sources };
  } catch (error) {
    return { fingerprint, content: `error\t${(error as Error).message}`, sources: [], error: error as Error };
  }
}

/**
 * Reads the policy files, waits `settleMs`, and reads them again: the snapshot when both reads found the same files
 * with the same text and the same fingerprint, `undefined` when something changed in between (a file still being
 * written). Comparing the text, not only modification times, catches a writer that paused in the middle of a file;
 * comparing the fingerprints too catches one that rewrote a file with the same partial text twice.
 *
 * @example
 * const snapshot = await readStablePolicySnapshot({ policyDir: 'policy' }, POLICY_RELOAD_SETTLE_MS);
 * if (snapshot) await createOsoEngine({ ...options, classes }, snapshot.sources);
 * @throws {AbortError} when `signal` aborts during the wait.
 */
export async function readStablePolicySnapshot(
  options: Pick<OsoModuleOptions, 'policyDir' | 'policyFiles'>,
  settleMs: number,
  signal?: AbortSignal,
): Promise<PolicySnapshot | undefined> {
  const first = await readPolicySnapshot(options);
  await sleep(settleMs, undefined, { signal });
  const second = await readPolicySnapshot(options);
  return first.fingerprint === second.fingerprint && first.content === second.content ? second : undefined;
}
