import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { describe, expect, it } from '@jest/globals';

const packageDir = join(import.meta.dirname, '..');

/** The files `npm pack` puts in the tarball (it runs the package's prepack script, which copies the CHANGELOG). */
function packedFiles(): string[] {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts=false'], {
    cwd: packageDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [pack] = JSON.parse(output) as Array<{ files: Array<{ path: string }> }>;
  return pack!.files.map((file) => file.path).sort();
}

/** Every file path named in the exports map and the bin (the targets Node and TypeScript resolve). */
function manifestTargets(): string[] {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const targets: string[] = [manifest.main, manifest.types, ...Object.values<string>(manifest.bin)];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') targets.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  walk(manifest.typesVersions);
  return [...new Set(targets.map((target) => posix.normalize(target)))].sort();
}

/** The published tarball: the built code in both module systems, its sources, and the package's documents. */
describe('the nestjs-oso tarball', () => {
  const files = packedFiles();

  it('holds the docs, both builds and the sources, and nothing else', () => {
    const shipped = [
      /^(package\.json|README\.md|LICENSE|CHANGELOG\.md)$/,
      /^dist\/(esm|cjs)\/.+\.(js|d\.ts|js\.map)$/,
      /^dist\/cjs\/package\.json$/,
      /^src\/.+\.c?ts$/,
    ];
    expect(files.filter((file) => !shipped.some((pattern) => pattern.test(file)))).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining(['README.md', 'LICENSE', 'CHANGELOG.md', 'dist/cjs/package.json', 'src/index.ts']),
    );
  });

  it('ships no test, spec or fixture', () => {
    expect(files.filter((file) => /\.spec\.|(^|\/)(test|tests|fixtures|__tests__)\//.test(file))).toEqual([]);
  });

  it('ships every file its exports map, main, types, typesVersions and bin name', () => {
    expect(manifestTargets().filter((target) => !files.includes(target))).toEqual([]);
  });

  it('has the same files in both builds, but the command line, which is an ES module only', () => {
    const build = (system: string) =>
      files
        .filter((file) => file.startsWith(`dist/${system}/`) && !file.endsWith('package.json'))
        .map((file) => file.slice(9));
    expect(build('cjs')).toEqual(build('esm').filter((file) => !file.startsWith('cli/')));
  });

  it('has source maps that embed their sources and name files that it ships', () => {
    const maps = files.filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(100);
    const broken: string[] = [];
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(join(packageDir, map), 'utf8'));
      const named = (sources as string[]).map((source) => posix.join(dirname(map), source));
      if (sourcesContent?.length !== sources.length || sourcesContent.some((content: unknown) => !content)) {
        broken.push(`${map}: no sourcesContent`);
      }
      broken.push(...named.filter((source) => !files.includes(source)).map((source) => `${map}: ${source}`));
    }
    expect(broken).toEqual([]);
  });
});
