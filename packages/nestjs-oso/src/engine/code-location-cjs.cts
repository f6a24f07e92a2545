import { dirname } from 'node:path';

// The CommonJS version of code-location.ts, which scripts/build-cjs.mjs puts in its place in the CommonJS build.

/**
 * @internal A `require` that resolves packages as nestjs-oso's own code does (used to load oso).
 *
 * @example
 * const oso = packageRequire('oso');
 */
export const packageRequire: NodeJS.Require = require;

/**
 * @internal The folder of this package's code (dist/cjs/): errors thrown there are not the application's.
 *
 * @example
 * const isOurs = frame.includes(PACKAGE_CODE_DIR);
 */
export const PACKAGE_CODE_DIR: string = dirname(__dirname);
