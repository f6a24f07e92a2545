import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

/**
 * nestjs-oso ships an ES module build (dist/esm) and a CommonJS build (dist/cjs). Node 20.19+ loads the ES module
 * build for `import` and `require` alike (the "module-sync" condition), so an app has one copy of the module whichever
 * way its files load it. Tools without that condition (Jest) load the build of their module system. Each check runs
 * in a fresh Node process on the built package, since Jest resolves packages its own way.
 */
describe('the module systems', () => {
  const fixtures = join(import.meta.dirname, 'fixtures', 'module-systems');
  const node = (args: string[]) => execFileSync(process.execPath, args, { encoding: 'utf8', cwd: fixtures }).trim();
  const entries = ['nestjs-oso', 'nestjs-oso/testing', 'nestjs-oso/typeorm', 'nestjs-oso/data-filtering'];

  it('gives require() and import the same module, for every entry point', () => {
    const script = `const { createRequire } = await import('node:module');
      const require = createRequire(import.meta.url);
      const entries = ${JSON.stringify(entries)};
      const same = [];
      for (const entry of entries) {
        const required = require(entry);
        const imported = await import(entry);
        same.push(Object.keys(imported).length > 0 && Object.keys(imported).every((name) => imported[name] === required[name]));
      }
      console.log(JSON.stringify({ same, file: require.resolve('nestjs-oso').split('/dist/')[1] }));`;
    expect(JSON.parse(node(['--input-type=module', '-e', script]))).toEqual({
      same: [true, true, true, true],
      file: 'esm/index.js',
    });
  });

  it('has a CommonJS build with the exports of the ES module build, for every entry point', () => {
    const script = `const { createRequire } = await import('node:module');
      const { join } = await import('node:path');
      const require = createRequire(import.meta.url);
      const packageDir = join(require.resolve('nestjs-oso/package.json'), '..');
      const { exports } = require('nestjs-oso/package.json');
      const names = (entry) => Object.keys(entry).sort().join();
      const same = [];
      for (const [subpath, target] of Object.entries(exports)) {
        if (typeof target === 'string') continue;
        const required = require(join(packageDir, target.require.default));
        const imported = await import(join(packageDir, target.import.default));
        same.push([subpath, target.require.default.startsWith('./dist/cjs/') && names(required) === names(imported)]);
      }
      console.log(JSON.stringify(same));`;
    expect(JSON.parse(node(['--input-type=module', '-e', script]))).toEqual([
      ['.', true],
      ['./data-filtering', true],
      ['./typeorm', true],
      ['./prisma', true],
      ['./drizzle', true],
      ['./testing', true],
    ]);
  });

  it("lets OsoModule from one build check routes decorated with the other's decorators and inject its tokens", () => {
    expect(JSON.parse(node(['both-builds.mjs']))).toEqual({
      home: 200,
      signedInAnonymous: 401,
      signedIn: 200,
      open: 200,
      engineIsEsmOso: true,
      options: true,
    });
  });
});
