import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// The two things nestjs-oso needs to know about where its own code runs from. This is the ES module version; the
// CommonJS build uses code-location-cjs.cts in its place (scripts/build-cjs.mjs), since `import.meta` does not exist
// in CommonJS and `require` does not exist in ES modules.

/**
 * @internal A `require` that resolves packages as nestjs-oso's own code does (used to load oso).
 *
 * @example
 * const oso = packageRequire('oso');
 */
export const packageRequire: NodeJS.Require = createRequire(import.meta.url);

/**
 * @internal The folder of this package's code (src/, dist/esm/ or dist/cjs/): errors thrown there are not the
 * application's.
 *
 * @example
 * const isOurs = frame.includes(PACKAGE_CODE_DIR);
 */
export const PACKAGE_CODE_DIR: string = dirname(dirname(fileURLToPath(import.meta.url)));
