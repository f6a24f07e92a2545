import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createOsoEngine, findPolicyFiles } from './policy-loader.js';
import { OsoError } from '../errors/oso.error.js';
import { PolicyLoadError } from '../errors/policy-load.error.js';
import { jest } from '@jest/globals';
import { Oso } from '../engine/oso-library.js';
import { useTempDir } from '../../test/fixtures/temp-dir.js';

describe('policy loading', () => {
  const tempDir = useTempDir('nestjs-oso-');

  it('frees the engine of a policy that does not load: nothing else holds it, and a reload of broken edits makes many', async () => {
    const free = jest.spyOn(Oso.prototype, 'free');
    try {
      const broken = [
        { file: join(tempDir(), 'broken.polar'), text: 'resource NoSuchClass { permissions = ["read"]; }' },
      ];
      await expect(createOsoEngine({ policyDir: tempDir() }, broken)).rejects.toThrow(PolicyLoadError);
      expect(free).toHaveBeenCalledTimes(1);
    } finally {
      free.mockRestore();
    }
  });

  it('finds every .polar file below the folder, recursively and sorted, and nothing else', async () => {
    await mkdir(join(tempDir(), 'b', 'deep'), { recursive: true });
    for (const file of ['z.polar', 'a.polar', 'notes.md', 'b/m.polar', 'b/deep/c.polar']) {
      await writeFile(join(tempDir(), file), '');
    }
    expect(await findPolicyFiles({ policyDir: tempDir() })).toEqual(
      ['a.polar', 'b/deep/c.polar', 'b/m.polar', 'z.polar'].map((f) => join(tempDir(), f)),
    );
  });

  it('adds policyFiles after the folders, without loading a file twice', async () => {
    await mkdir(join(tempDir(), 'p'));
    await writeFile(join(tempDir(), 'p', 'a.polar'), '');
    await writeFile(join(tempDir(), 'extra.polar'), '');
    const files = await findPolicyFiles({
      policyDir: join(tempDir(), 'p'),
      policyFiles: [join(tempDir(), 'extra.polar'), join(tempDir(), 'p', 'a.polar')],
    });
    expect(files).toEqual([join(tempDir(), 'p', 'a.polar'), join(tempDir(), 'extra.polar')]);
  });

  it('loads the files of several folders in one engine, so rules may span files', async () => {
    await mkdir(join(tempDir(), 'one'));
    await mkdir(join(tempDir(), 'two'));
    await writeFile(join(tempDir(), 'one', 'allow.polar'), 'allow(actor, "read", _) if is_reader(actor);');
    await writeFile(join(tempDir(), 'two', 'readers.polar'), 'is_reader("ada");');
    const oso = await createOsoEngine({ policyDir: [join(tempDir(), 'one'), join(tempDir(), 'two')] });
    expect(await oso.isAllowed('ada', 'read', 'book')).toBe(true);
    expect(await oso.isAllowed('bob', 'read', 'book')).toBe(false);
  });

  it('requires a policy folder', async () => {
    await expect(findPolicyFiles({ policyDir: [] })).rejects.toThrow(PolicyLoadError);
  });

  it('rejects a classes entry that is not a class', async () => {
    await writeFile(join(tempDir(), 'p.polar'), 'allow(_, _, _);');
    await expect(createOsoEngine({ policyDir: tempDir(), classes: [{} as never] })).rejects.toThrow(
      '"classes" must hold classes or { class, name } objects',
    );
  });
});

describe('loading policy text read beforehand (what a reload loads)', () => {
  const tempDir = useTempDir('nestjs-oso-');

  it('loads the given text in one engine and does not read the files again', async () => {
    // On disk: a policy that allows nobody. Given: two files whose rules span both.
    await writeFile(join(tempDir(), 'allow.polar'), '');
    const oso = await createOsoEngine({ policyDir: tempDir() }, [
      { file: join(tempDir(), 'allow.polar'), text: 'allow(actor, "read", _) if is_reader(actor);' },
      { file: join(tempDir(), 'readers.polar'), text: 'is_reader("ada");' },
    ]);
    expect(await oso.isAllowed('ada', 'read', 'book')).toBe(true);
    expect(await oso.isAllowed('bob', 'read', 'book')).toBe(false);
  });

  it('names the file and line of a text that does not load, as loading the files would', async () => {
    const file = join(tempDir(), 'broken.polar');
    await expect(
      createOsoEngine({ policyDir: tempDir() }, [{ file, text: 'allow(_, _, _);\nallow(' }]),
    ).rejects.toThrow(new RegExp(`^the policy failed to load: .*at line 2, column \\d+ of file ${file}`));
  });

  it("is a PolicyLoadError, an OsoError, whose cause is the engine's own error", async () => {
    const file = join(tempDir(), 'broken.polar');
    const error = await createOsoEngine({ policyDir: tempDir() }, [{ file, text: 'allow(' }]).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PolicyLoadError);
    expect(error).toBeInstanceOf(OsoError);
    const { message, cause, name } = error as PolicyLoadError;
    expect(name).toBe('PolicyLoadError');
    expect(cause).toBeInstanceOf(Error);
    expect(message).toBe(`the policy failed to load: ${(cause as Error).message}`.trimEnd());
    expect((cause as Error).message).toContain(`of file ${file}`);
  });

  it('refuses a file without the .polar extension, as loadFiles does', async () => {
    await expect(
      createOsoEngine({ policyDir: tempDir() }, [{ file: join(tempDir(), 'policy.txt'), text: 'allow(_, _, _);' }]),
    ).rejects.toThrow('Polar files must have .polar extension');
  });
});
