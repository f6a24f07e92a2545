import { Module } from 'node:module';
import type * as OsoLibrary from 'oso';
import { packageRequire } from './code-location.js';

/**
 * The oso library, loaded without Node's `repl` module. Every nestjs-oso file takes oso's values (classes and
 * functions) from here; types may still come from 'oso'.
 *
 * oso 0.27 requires `repl` as it loads, only for `Oso.repl()`. Loading `repl` loads `domain`, which wraps the
 * constructor of every event emitter of the process (each socket, request and response; see bench/README.md for the
 * cost) and makes `process.setUncaughtExceptionCaptureCallback()` throw. So while oso loads, `repl`
 * names a stand-in whose `start` (all that oso uses) loads the real module when called. The stand-in is gone from the
 * module cache once oso has loaded, so nothing else ever sees it. When the app loaded oso first, its copy is used as
 * it is (and `domain` is already there).
 */
function loadOsoWithoutRepl(): typeof OsoLibrary {
  if (packageRequire.cache['repl'] !== undefined) return packageRequire('oso') as typeof OsoLibrary;
  const deferredRepl = new Module('repl');
  type Repl = typeof import('node:repl');
  deferredRepl.exports = {
    start: (...args: Parameters<Repl['start']>) => (packageRequire('node:repl') as Repl).start(...args),
  };
  deferredRepl.loaded = true;
  packageRequire.cache['repl'] = deferredRepl;
  try {
    return packageRequire('oso') as typeof OsoLibrary;
  } finally {
    delete packageRequire.cache['repl'];
  }
}

const oso = loadOsoWithoutRepl();

/**
 * oso's `Oso` class (the policy engine), loaded without Node's `repl`: the class of the engine `OsoModule` provides
 * under `OSO_ENGINE` and `createOsoEngine` builds. Import it from nestjs-oso, not from `oso`, so that oso is always
 * loaded this way.
 *
 * @example
 * constructor(@Inject(OSO_ENGINE) private readonly engine: Oso) {}
 * @publicApi
 */
export const Oso = oso.Oso;
export type Oso = OsoLibrary.Oso;
/** @internal An unknown of a partial query, as the engine returns them. */
export const Variable = oso.Variable;
export type Variable = OsoLibrary.Variable;
/**
 * A data filtering relation between two registered classes, declared in the `fields` of a class registration
 * (oso's own `Relation`, re-exported so that apps never import `oso` before nestjs-oso has loaded it).
 *
 * @example
 * OsoModule.forRoot({
 *   policyDir: 'policy',
 *   classes: [{ class: Expense, fields: { organization: new Relation('one', 'Organization', 'organizationId', 'id') } }],
 * });
 * @publicApi
 */
export const Relation = oso.Relation;
export type Relation = OsoLibrary.Relation;
/** @internal The equality the engine uses between two application values (`==` on instances). */
export const defaultEqualityFn = oso.defaultEqualityFn;
