import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOsoEngine, findPolicyFiles } from './policy-loader.js';
import { OsoError } from '../errors/oso.error.js';
import { PolicyLoadError } from '../errors/policy-load.error.js';

describe('policy loading', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nestjs-oso-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('finds every .polar file below the folder, recursively and sorted, and nothing else', async () => {
    await mkdir(join(dir, 'b', 'deep'), { recursive: true });
    for (const file of ['z.polar', 'a.polar', 'notes.md', 'b/m.polar', 'b/deep/c.polar']) {
      await writeFile(join(dir, file), '');
    }
    expect(await findPolicyFiles({ policyDir: dir })).toEqual(
      ['a.polar', 'b/deep/c.polar', 'b/m.polar', 'z.polar'].map((f) => join(dir, f)),
    );
  });

  it('adds policyFiles after the folders, without loading a file twice', async () => {
    await mkdir(join(dir, 'p'));
    await writeFile(join(dir, 'p', 'a.polar'), '');
    await writeFile(join(dir, 'extra.polar'), '');
    const files = await findPolicyFiles({
      policyDir: join(dir, 'p'),
      policyFiles: [join(dir, 'extra.polar'), join(dir, 'p', 'a.polar')],
    });
    expect(files).toEqual([join(dir, 'p', 'a.polar'), join(dir, 'extra.polar')]);
  });

  it('loads the files of several folders in one engine, so rules may span files', async () => {
    await mkdir(join(dir, 'one'));
    await mkdir(join(dir, 'two'));
    await writeFile(join(dir, 'one', 'allow.polar'), 'allow(actor, "read", _) if is_reader(actor);');
    await writeFile(join(dir, 'two', 'readers.polar'), 'is_reader("ada");');
    const oso = await createOsoEngine({ policyDir: [join(dir, 'one'), join(dir, 'two')] });
    expect(await oso.isAllowed('ada', 'read', 'book')).toBe(true);
    expect(await oso.isAllowed('bob', 'read', 'book')).toBe(false);
  });

  it('requires a policy folder', async () => {
    await expect(findPolicyFiles({ policyDir: [] })).rejects.toThrow(PolicyLoadError);
  });

  it('rejects a classes entry that is not a class', async () => {
    await writeFile(join(dir, 'p.polar'), 'allow(_, _, _);');
    await expect(createOsoEngine({ policyDir: dir, classes: [{} as never] })).rejects.toThrow(
      '"classes" must hold classes or { class, name } objects',
    );
  });
});

describe('loading policy text read beforehand (what a reload loads)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nestjs-oso-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('loads the given text in one engine and does not read the files again', async () => {
    // On disk: a policy that allows nobody. Given: two files whose rules span both.
    await writeFile(join(dir, 'allow.polar'), '');
    const oso = await createOsoEngine({ policyDir: dir }, [
      { file: join(dir, 'allow.polar'), text: 'allow(actor, "read", _) if is_reader(actor);' },
      { file: join(dir, 'readers.polar'), text: 'is_reader("ada");' },
    ]);
    expect(await oso.isAllowed('ada', 'read', 'book')).toBe(true);
    expect(await oso.isAllowed('bob', 'read', 'book')).toBe(false);
  });

  it('names the file and line of a text that does not load, as loading the files would', async () => {
    const file = join(dir, 'broken.polar');
    await expect(createOsoEngine({ policyDir: dir }, [{ file, text: 'allow(_, _, _);\nallow(' }])).rejects.toThrow(
      new RegExp(`^the policy failed to load: .*at line 2, column \\d+ of file ${file}`),
    );
  });

  it("is a PolicyLoadError, an OsoError, whose cause is the engine's own error", async () => {
    const file = join(dir, 'broken.polar');
    const error = await createOsoEngine({ policyDir: dir }, [{ file, text: 'allow(' }]).catch(
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
      createOsoEngine({ policyDir: dir }, [{ file: join(dir, 'policy.txt'), text: 'allow(_, _, _);' }]),
    ).rejects.toThrow('Polar files must have .polar extension');
  });
});
