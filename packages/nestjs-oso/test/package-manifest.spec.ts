import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const packageDir = join(import.meta.dirname, '..');
const sourceDir = join(packageDir, 'src');

async function sources(): Promise<Array<{ file: string; text: string }>> {
  const files = (await readdir(sourceDir, { recursive: true })).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'),
  );
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(join(sourceDir, file), 'utf8') })));
}

/** Cheap insurance for a published package, as @nestjs/config has. */
describe('the nestjs-oso package', () => {
  it('declares every package its sources import', async () => {
    const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8'));
    const declared = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const undeclared: string[] = [];
    for (const { file, text } of await sources()) {
      for (const [, specifier] of text.matchAll(/from '([^.'][^']*)'/g)) {
        const name = specifier!.startsWith('@')
          ? specifier!.split('/').slice(0, 2).join('/')
          : specifier!.split('/')[0]!;
        if (!declared.has(name) && !builtinModules.includes(name.replace(/^node:/, '')))
          undeclared.push(`${file}: ${name}`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('resolves through its exports map to the built entry, with the public API', async () => {
    const entry = await import('nestjs-oso');
    for (const name of [
      'OsoModule',
      'OsoService',
      'OsoGuard',
      'Authorize',
      'SkipAuthorization',
      'AuthorizedResource',
      'RequireAuthorizationInterceptor',
      'HttpRequest',
    ]) {
      expect(entry).toHaveProperty(name);
    }
  });

  it('exports each public name from one entry point only', async () => {
    const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8'));
    expect(Object.keys(manifest.exports)).toEqual([
      '.',
      './data-filtering',
      './typeorm',
      './prisma',
      './drizzle',
      './testing',
      './package.json',
    ]);
    const entries = {
      root: Object.keys(await import('nestjs-oso')),
      dataFiltering: Object.keys(await import('nestjs-oso/data-filtering')),
      typeorm: Object.keys(await import('nestjs-oso/typeorm')),
      prisma: Object.keys(await import('nestjs-oso/prisma')),
      drizzle: Object.keys(await import('nestjs-oso/drizzle')),
      testing: Object.keys(await import('nestjs-oso/testing')),
    };
    expect(entries.root).toEqual(
      expect.arrayContaining(['OsoModule', 'Relation', 'OsoError', 'PolicyLoadError', 'OsoConfigurationError']),
    );
    expect(entries.dataFiltering).toEqual(
      expect.arrayContaining(['buildAuthorizedQuery', 'InMemoryAdapter', 'DataFilteringError']),
    );
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const [entry, names] of Object.entries(entries)) {
      for (const name of names) {
        if (seen.has(name)) twice.push(`${name} (${seen.get(name)} and ${entry})`);
        seen.set(name, entry);
      }
    }
    expect(twice).toEqual([]);
  });

  it('ships no @internal declaration in its type declarations (stripInternal)', async () => {
    const distDir = join(packageDir, 'dist');
    const declarations = (await readdir(distDir, { recursive: true })).filter((f) => f.endsWith('.d.ts'));
    expect(declarations).toEqual(expect.arrayContaining([join('esm', 'index.d.ts'), join('cjs', 'index.d.ts')]));
    const leaked: string[] = [];
    for (const file of declarations) {
      if ((await readFile(join(distDir, file), 'utf8')).includes('@internal')) leaked.push(file);
    }
    expect(leaked).toEqual([]);
  });

  it('documents every exported symbol with a JSDoc that has an @example', async () => {
    const entry = await import('nestjs-oso');
    const all = await sources();
    const undocumented = Object.keys(entry).filter((name) => {
      const declaration = new RegExp(
        `/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/(?:(?!/\\*\\*)[\\s\\S])*?export (?:declare )?(?:abstract )?(?:async )?(?:class|function|const|let) ${name}\\b`,
      );
      return !all.some(({ text }) => declaration.exec(text)?.[1]?.includes('@example'));
    });
    expect(undocumented).toEqual([]);
  });
});
