import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { Type } from '@nestjs/common';
import { Oso } from '../engine/oso-library.js';
import type { OsoModuleOptions, PolarClassRegistration } from '../module/oso-module-options.interface.js';
import { HttpRequest } from '../authorization/http-request.js';
import { GraphQLOperation } from '../transports/graphql-operation.js';
import { InboundMessage } from '../transports/inbound-message.js';
import { polarClassMetadataOf } from '../decorators/polar-class.decorator.js';
import { recordPolicySources } from '../compiled-decisions/policy-sources.js';
import type { PolicySource } from './policy-snapshot.js';
import { PolicyLoadError } from '../errors/policy-load.error.js';

/**
 * The classes every engine registers under their own names: what a route check without a resource authorizes on
 * each transport.
 */
const BUILT_IN_CLASSES: ReadonlyArray<Type<unknown>> = [HttpRequest, GraphQLOperation, InboundMessage];

/** The Polar names of the built-in classes, for the startup log and the CLI. */
export const BUILT_IN_POLAR_NAMES: readonly string[] = BUILT_IN_CLASSES.map((cls) => cls.name);

/**
 * Finds the policy files of the options: every `*.polar` file below each `policyDir` (recursively, sorted) and then
 * the `policyFiles`, as absolute paths without duplicates.
 *
 * @example
 * const files = await findPolicyFiles({ policyDir: 'policy' }); // ['/app/policy/base.polar', ...]
 * @throws {PolicyLoadError} a folder that does not exist or holds no `.polar` file, or a missing policy file.
 * @publicApi
 */
export async function findPolicyFiles(options: Pick<OsoModuleOptions, 'policyDir' | 'policyFiles'>): Promise<string[]> {
  const dirs = options.policyDir === undefined ? [] : ([] as string[]).concat(options.policyDir);
  if (dirs.length === 0 && !options.policyFiles?.length) {
    throw new PolicyLoadError('the "policyDir" option is required (a folder of .polar files)');
  }
  const files: string[] = [];
  for (const dir of dirs.map((d) => resolve(d))) {
    const entries = await readdir(dir, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new PolicyLoadError(`policyDir "${dir}" does not exist`);
      throw new PolicyLoadError(`cannot read policyDir "${dir}": ${error.message}`, { cause: error });
    });
    const polar = entries.filter((entry) => entry.endsWith('.polar')).sort();
    if (polar.length === 0) throw new PolicyLoadError(`policyDir "${dir}" contains no .polar file`);
    files.push(...polar.map((entry) => join(dir, entry)));
  }
  for (const file of (options.policyFiles ?? []).map((f) => resolve(f))) {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new PolicyLoadError(`policy file "${file}" does not exist`);
    files.push(file);
  }
  return [...new Set(files)];
}

/**
 * Builds an `Oso` engine from module options: registers `HttpRequest` and the configured classes, then loads every
 * policy file in ONE call (oso refuses a second load). Given `sources` (policy text read beforehand, as a reload
 * does once the files are known to be stable), it loads that text and does not read the files again.
 *
 * @example
 * const oso = await createOsoEngine({ policyDir: 'policy', classes: [User] });
 * @throws {PolicyLoadError} on a missing folder, a duplicate class name or a policy that does not load.
 * @publicApi
 */
export async function createOsoEngine(options: OsoModuleOptions, sources?: readonly PolicySource[]): Promise<Oso> {
  const files = sources ? undefined : await findPolicyFiles(options);
  const oso = new Oso({ readAction: options.readAction });
  try {
    // Compiled decisions need to know which Polar features the policy uses.
    recordPolicySources(oso);
    if (options.dataFiltering) oso.setDataFilteringAdapter(options.dataFiltering);
    registerClasses(oso, options.classes ?? []);
    try {
      await (files ? oso.loadFiles(files) : loadPolicyText(oso, sources!));
    } catch (error) {
      // oso's messages already say "at line L, column C of file F"; keep them whole.
      throw new PolicyLoadError(`the policy failed to load: ${(error as Error).message}`.trimEnd(), { cause: error });
    }
  } catch (error) {
    // Nothing else holds an engine that did not load: its WebAssembly memory would stay until the process ends (a
    // broken edit under reload would leak one engine each time).
    oso.free();
    throw error;
  }
  return oso;
}

/**
 * Loads policy text read beforehand in ONE call, as `loadFiles` does with what it reads. oso has no public call for
 * this: `loadFiles` reads the disk itself and `loadStr` takes one text, after which a second load is refused. So
 * this uses the `loadSources` method both call, named in the error if a newer oso no longer has it.
 */
async function loadPolicyText(oso: Oso, sources: readonly PolicySource[]): Promise<void> {
  const load = (oso as unknown as { loadSources?: (loaded: Array<{ src: string; filename: string }>) => Promise<void> })
    .loadSources;
  if (typeof load !== 'function')
    throw new Error('this version of oso has no Polar.loadSources to load policy text read beforehand');
  for (const { file } of sources) {
    // The check `loadFiles` makes before it reads.
    if (extname(file) !== '.polar') throw new Error(`Polar files must have .polar extension. Offending file: ${file}`);
  }
  await load.call(
    oso,
    sources.map(({ file, text }) => ({ src: text, filename: file })),
  );
}

/**
 * Normalizes class entries into registrations: the `@PolarClass()` metadata of each class, overridden by what the
 * entry states itself, with `fields` functions called. A class listed twice under the same name counts once; two
 * classes under one Polar name (or a class named like a built-in one: `HttpRequest`, `GraphQLOperation`, `InboundMessage`) are an error naming both, and
 * `declaredIn` (when given) says where each entry came from.
 *
 * @example
 * resolvePolarClasses([User, { class: Expense, name: 'app::Expense' }]); // [{ class: User, name: 'User' }, ...]
 * @throws {PolicyLoadError} on an entry that is not a class, or a duplicate Polar name.
 */
export function resolvePolarClasses(
  classes: ReadonlyArray<Type<unknown> | PolarClassRegistration>,
  declaredIn: (entry: Type<unknown> | PolarClassRegistration) => string | undefined = () => undefined,
): PolarClassRegistration[] {
  const byName = new Map<string, { registration: PolarClassRegistration; where: string | undefined }>([
    ...BUILT_IN_CLASSES.map((cls) => [cls.name, { registration: { class: cls }, where: undefined }] as const),
  ]);
  const resolved: PolarClassRegistration[] = [];
  for (const entry of classes) {
    const stated: Partial<PolarClassRegistration> = typeof entry === 'function' ? { class: entry } : entry;
    if (typeof stated?.class !== 'function') {
      throw new PolicyLoadError(`"classes" must hold classes or { class, name } objects, got ${String(entry)}`);
    }
    const {
      fields,
      isaCheck,
      name = stated.class.name,
    } = { ...polarClassMetadataOf(stated.class), ...definedOnly(stated) };
    const registration: PolarClassRegistration = {
      class: stated.class,
      name,
      ...(fields && { fields: typeof fields === 'function' ? fields() : fields }),
      ...(isaCheck && { isaCheck }),
    };
    const existing = byName.get(name);
    if (existing?.registration.class === registration.class) continue;
    if (existing) {
      const where = [existing.where, declaredIn(entry)];
      throw new PolicyLoadError(
        `duplicate Polar class name "${name}": ${describe(existing.registration.class)} and ${describe(registration.class)}` +
          (where.every(Boolean) && where[0] !== where[1] ? ` (from ${where[0]} and ${where[1]})` : ''),
      );
    }
    byName.set(name, { registration, where: declaredIn(entry) });
    resolved.push(registration);
  }
  return resolved;
}

function registerClasses(oso: Oso, classes: ReadonlyArray<Type<unknown> | PolarClassRegistration>): void {
  for (const cls of BUILT_IN_CLASSES) oso.registerClass(cls, { name: cls.name });
  for (const { class: cls, name, fields, isaCheck } of resolvePolarClasses(classes)) {
    try {
      oso.registerClass(cls, { name, ...(fields && { fields }), ...(isaCheck && { isaCheck }) });
    } catch (error) {
      throw new PolicyLoadError(`cannot register ${describe(cls)} as "${name}": ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/** The properties of an entry that are set, so that an explicit `undefined` does not hide the decorator's value. */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function describe(cls: Type<unknown>): string {
  return BUILT_IN_CLASSES.includes(cls) ? `the built-in ${cls.name}` : `class ${cls.name}`;
}
