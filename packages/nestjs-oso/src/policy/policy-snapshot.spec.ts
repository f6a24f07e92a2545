import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readPolicySnapshot, readStablePolicySnapshot } from './policy-snapshot.js';
import { useTempDir } from '../../test/fixtures/temp-dir.js';

describe('policy snapshots', () => {
  const tempDir = useTempDir('nestjs-oso-snapshot-');

  it('a stable snapshot holds the files with their text, in load order', async () => {
    await writeFile(join(tempDir(), 'b.polar'), 'allow("b", _, _);');
    await writeFile(join(tempDir(), 'a.polar'), 'allow("a", _, _);');
    const snapshot = await readStablePolicySnapshot({ policyDir: tempDir() }, 20);
    expect(snapshot?.sources).toEqual([
      { file: join(tempDir(), 'a.polar'), text: 'allow("a", _, _);' },
      { file: join(tempDir(), 'b.polar'), text: 'allow("b", _, _);' },
    ]);
    expect(snapshot?.error).toBeUndefined();
  });

  it('there is no stable snapshot of a file written to during the settle interval', async () => {
    const file = join(tempDir(), 'a.polar');
    const handle = await open(file, 'w');
    try {
      await handle.write('allow("a", _, _);\n');
      const looking = readStablePolicySnapshot({ policyDir: tempDir() }, 100);
      await sleep(30);
      await handle.write('allow("b", _, _);\n');
      expect(await looking).toBeUndefined();
    } finally {
      await handle.close();
    }
  });

  it('there is no stable snapshot of a file rewritten with the same partial text during the settle interval', async () => {
    const file = join(tempDir(), 'a.polar');
    await writeFile(file, 'allow("a", _, _);\n');
    const looking = readStablePolicySnapshot({ policyDir: tempDir() }, 100);
    await sleep(30);
    // Same text, written again: only the fingerprint (modification time) tells the two reads apart.
    await writeFile(file, 'allow("a", _, _);\n');
    expect(await looking).toBeUndefined();
  });

  it('a folder without policy files is a snapshot of its own, with the error', async () => {
    const snapshot = await readStablePolicySnapshot({ policyDir: tempDir() }, 10);
    expect(snapshot?.error?.message).toMatch(/contains no \.polar file/);
    expect(snapshot?.content).toBe((await readPolicySnapshot({ policyDir: tempDir() })).content);
  });

  it('ends the wait when its signal aborts', async () => {
    await writeFile(join(tempDir(), 'a.polar'), '');
    const controller = new AbortController();
    const looking = readStablePolicySnapshot({ policyDir: tempDir() }, 60_000, controller.signal);
    controller.abort();
    await expect(looking).rejects.toThrow(/abort/i);
  });
});
