// The CommonJS build of nestjs-oso, beside the ES module build in dist/esm (tsconfig.build.json), for the apps and
// tools that cannot load ES modules (CommonJS apps under Jest, mainly). tsc picks a file's module system from the
// nearest package.json, so the sources are compiled from a copy in a folder marked "commonjs", where each
// `<name>-cjs.cts` replaces its `<name>.ts` (the few lines that differ between the two module systems, as tshy's
// dialect files do). The source maps then point back to src/, which the package ships. The CLI is an ES module only.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

const packageDir = resolve(import.meta.dirname, '..');
const src = join(packageDir, 'src');
const staged = join(packageDir, 'dist', 'cjs-src');
const out = join(packageDir, 'dist', 'cjs');
const dialect = /-cjs\.cts$/;
const skipped = (file) => file.startsWith('cli') || file.endsWith('.spec.ts') || dialect.test(file);

rmSync(staged, { recursive: true, force: true });
cpSync(src, staged, { recursive: true, filter: (from) => !skipped(relative(src, from)) });
const replaced = new Map();
for (const file of readdirSync(src, { recursive: true }).filter((f) => dialect.test(f))) {
  const target = file.replace(dialect, '.ts');
  cpSync(join(src, file), join(staged, target));
  replaced.set(target, file);
}
writeFileSync(join(staged, 'package.json'), '{ "type": "commonjs" }\n');

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(packageDir, 'tsconfig.cjs.json')], { stdio: 'inherit' });
writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n');

for (const file of readdirSync(out, { recursive: true }).filter((f) => f.endsWith('.js.map'))) {
  const mapFile = join(out, file);
  const map = JSON.parse(readFileSync(mapFile, 'utf8'));
  map.sources = map.sources.map((source) => {
    const stagedFile = relative(staged, resolve(dirname(mapFile), source));
    return relative(dirname(mapFile), join(src, replaced.get(stagedFile) ?? stagedFile));
  });
  writeFileSync(mapFile, JSON.stringify(map));
}
rmSync(staged, { recursive: true, force: true });
