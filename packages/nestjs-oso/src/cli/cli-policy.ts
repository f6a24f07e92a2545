import { stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Type } from '@nestjs/common';
import type { Oso } from 'oso';
import type { PolarClassRegistration } from '../module/oso-module-options.interface.js';
import {
  BUILT_IN_POLAR_NAMES,
  createOsoEngine,
  findPolicyFiles,
  resolvePolarClasses,
} from '../policy/policy-loader.js';
import { polarClassMetadataOf } from '../decorators/polar-class.decorator.js';

/** A mistake in how the command was called (exit code 2), as opposed to a policy that does not load (exit code 1). */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** What the command line says to load. */
export interface CliPolicyOptions {
  /** Policy folders and files, as given. */
  paths: string[];
  /** Modules whose exported classes policies refer to. */
  classModules: string[];
}

/** A policy the CLI loaded, with what it had to do to load it. */
export interface CliPolicy {
  engine: Oso;
  files: string[];
  /** The Polar names of the registered classes, `HttpRequest` first. */
  classes: string[];
  /** Names registered as empty stand-ins because no `--classes` module was given. */
  stubs: string[];
  /** The engine's warnings, formatted with file and line. */
  warnings: string[];
  /** Warnings that count as errors: a class the given `--classes` modules do not have. */
  errors: string[];
}

/**
 * Loads a policy the way `OsoModule` does (`findPolicyFiles` + `createOsoEngine`: the same file order, the same
 * classes, one load call). Without `--classes`, each class the policy names but nobody registered is registered as
 * an empty stand-in and loading starts over, so syntax and rule structure can be checked without the app's code.
 *
 * @throws {PolicyLoadError} when the policy does not load.
 * @throws {CliUsageError} when a `--classes` module cannot be imported.
 */
export async function loadCliPolicy(options: CliPolicyOptions): Promise<CliPolicy> {
  const source = await splitPaths(options.paths);
  const classes = await importClasses(options.classModules);
  const stubbing = options.classModules.length === 0;
  const stubs = new Map<string, PolarClassRegistration>();
  // Each pass stubs at least one more name, and a policy names finitely many.
  for (;;) {
    const warnings: string[] = [];
    let engine: Oso;
    try {
      engine = await withEngineWarnings(warnings, () =>
        createOsoEngine({ ...source, classes: [...classes, ...stubs.values()] }),
      );
    } catch (error) {
      const missing = stubbing && /Unregistered class: (\S+) at line/.exec((error as Error).message)?.[1];
      if (missing && !stubs.has(missing)) {
        stubs.set(missing, { class: class {}, name: missing });
        continue;
      }
      throw error;
    }
    const unknown = warnings.map((warning) => /^Unknown specializer (\S+) at line/.exec(warning)?.[1]);
    if (stubbing && unknown.some((name) => name && !stubs.has(name))) {
      for (const name of unknown) if (name && !stubs.has(name)) stubs.set(name, { class: class {}, name });
      engine.free();
      continue;
    }
    const registered = resolvePolarClasses([...classes, ...stubs.values()]).map((entry) => entry.name!);
    return {
      engine,
      files: await findPolicyFiles(source),
      classes: [...BUILT_IN_POLAR_NAMES, ...registered],
      stubs: [...stubs.keys()],
      warnings: warnings.filter((_, i) => !unknown[i]).map((warning) => formatDiagnostic('warning', warning)),
      errors: warnings.filter((_, i) => unknown[i]).map((warning) => formatDiagnostic('error', warning)),
    };
  }
}

/**
 * Formats an engine message the way compilers do, `file:line:column: error: message`, followed by oso's excerpt of
 * the line; a message without a location is `error: message`.
 */
export function formatDiagnostic(kind: 'error' | 'warning', message: string): string {
  const text = message.trimEnd();
  const located = /^([\s\S]*?) at line (\d+), column (\d+) of file (.+?)(?::\n([\s\S]*))?$/.exec(text);
  if (!located) return `${kind}: ${text}`;
  const [, what, line, column, file, excerpt] = located;
  return `${displayPath(file!)}:${line}:${column}: ${kind}: ${what}${excerpt ? `\n${excerpt.trimEnd()}` : ''}`;
}

/** A path relative to the working folder when it lies below it, else absolute. */
export function displayPath(file: string): string {
  const fromHere = relative(process.cwd(), file);
  return fromHere === '' || fromHere.startsWith('..') ? file : fromHere;
}

/** Folders become `policyDir`, files `policyFiles`; a path that does not exist is a folder, for the loader's message. */
async function splitPaths(paths: string[]): Promise<{ policyDir: string[]; policyFiles: string[] }> {
  const source = { policyDir: [] as string[], policyFiles: [] as string[] };
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    (info?.isFile() ? source.policyFiles : source.policyDir).push(path);
  }
  return source;
}

/** Every exported class of the modules, and every class or `{ class, name }` entry of an exported array. */
async function importClasses(modules: string[]): Promise<Array<Type<unknown> | PolarClassRegistration>> {
  const classes: Array<Type<unknown> | PolarClassRegistration> = [];
  for (const module of modules) {
    let exports: Record<string, unknown>;
    try {
      exports = await import(pathToFileURL(resolve(module)).href);
    } catch (error) {
      throw new CliUsageError(`cannot import the --classes module ${module}: ${(error as Error).message}`);
    }
    for (const value of Object.values(exports)) {
      if (isClass(value)) {
        if (meantForPolar(value)) classes.push(value);
      } else if (Array.isArray(value)) {
        classes.push(
          ...value.filter((entry) => isClass(entry) || isClass((entry as { class?: unknown } | null)?.class)),
        );
      }
    }
  }
  return classes;
}

/**
 * Metadata keys of Nest's own classes: `@Module()`, `@Injectable()` (providers, guards, resolvers...), `@Controller()`
 * and `@Catch()` (the watermarks of @nestjs/common's constants, the same since Nest 6).
 */
const NEST_CLASS_KEYS = [
  'imports',
  'providers',
  'controllers',
  'exports',
  '__injectable__',
  '__controller__',
  '__catch__',
];

/**
 * Whether an exported class is one the policy may name: any class but Nest's modules, controllers, providers and
 * exception filters (an app's module file exports those too), unless it says so with `@PolarClass()`.
 */
function meantForPolar(cls: Type<unknown>): boolean {
  if (polarClassMetadataOf(cls)) return true;
  return !NEST_CLASS_KEYS.some((key) => Reflect.hasOwnMetadata(key, cls));
}

function isClass(value: unknown): value is Type<unknown> {
  return typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));
}

/** Runs a load and keeps the warnings oso prints (`console.warn('[warning]', message)`) instead of printing them. */
async function withEngineWarnings<T>(warnings: string[], load: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (args[0] === '[warning]') warnings.push(args.slice(1).map(String).join(' '));
    else warn(...args);
  };
  try {
    return await load();
  } finally {
    console.warn = warn;
  }
}
