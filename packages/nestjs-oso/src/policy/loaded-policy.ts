import type { Oso } from 'oso';
import type { OsoModuleOptions, PolarClassRegistration } from '../module/oso-module-options.interface.js';
import { policyFingerprint } from './policy-fingerprint.js';
import { createOsoEngine } from './policy-loader.js';

/** Injection token of the app's resolved Polar classes: the `classes` option and every `OsoModule.forFeature()`. */
export const OSO_POLAR_CLASSES = 'OSO:POLAR_CLASSES';

/** Injection token of the policy loaded at startup, with the fingerprint of the files it was loaded from. */
export const OSO_LOADED_POLICY = 'OSO:LOADED_POLICY';

/** An engine together with what it was built from. */
export interface LoadedPolicy {
  engine: Oso;
  /** The policy files, in load order. */
  files: string[];
  /** The fingerprint of the files, taken before they were read (see `policyFingerprint`). */
  fingerprint: string;
}

/**
 * Builds an engine with the app's classes and takes the fingerprint of its files first, so that a change made
 * while the files are read shows up as a change at the next look.
 */
export async function loadPolicy(options: OsoModuleOptions, classes: PolarClassRegistration[]): Promise<LoadedPolicy> {
  const { key, files } = await policyFingerprint(options);
  const engine = await createOsoEngine({ ...options, classes });
  return { engine, files, fingerprint: key };
}
