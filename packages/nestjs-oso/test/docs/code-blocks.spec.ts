import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * Every ```ts and ```typescript block of the README and docs/ is type-checked as its own ES module with the
 * repository's compiler options (noUnusedLocals and noUnusedParameters included), importing the packages as an app
 * would: 'nestjs-oso' and its subpaths resolve to the built dist (`npm run build --workspace nestjs-oso` first).
 *
 * Names a snippet takes from the surrounding app (`User`, `Expense`, `policyDir`, `alice`...) are declared once in
 * `code-block-globals.d.mts`. Markers, written on the line before a block's fence:
 * - `<!-- no-check: why -->` leaves the block out (a fragment that cannot stand alone; the reason is required);
 * - `<!-- continued -->` appends the block to the previous checked block of the page, as one module.
 */
const ROOT = resolve(import.meta.dirname, '../../../..');
const GLOBALS = join(import.meta.dirname, 'code-block-globals.d.mts');
const CHECKED_LANGUAGES = new Set(['ts', 'typescript']);

interface CodeBlock {
  /** The virtual file the block is checked as: `<page>.<first line>.ts`. */
  file: string;
  page: string;
  /** 1-based line of the page where each line of `code` comes from. */
  lines: number[];
  code: string;
}

interface SkippedBlock {
  page: string;
  line: number;
  reason: string;
}

function markdownPages(): string[] {
  const pages = ['README.md', 'packages/nestjs-oso/README.md'];
  const docs = join(ROOT, 'docs');
  if (existsSync(docs)) {
    for (const entry of readdirSync(docs, { recursive: true, encoding: 'utf8' }).sort()) {
      if (entry.endsWith('.md')) pages.push(join('docs', entry));
    }
  }
  return pages.filter((page) => existsSync(join(ROOT, page)));
}

function extractBlocks(page: string): { blocks: CodeBlock[]; skipped: SkippedBlock[] } {
  const lines = readFileSync(join(ROOT, page), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  const skipped: SkippedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})\s*([\w-]*)(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, language] = open;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.startsWith(`${indent}${fence}`)) end++;
    const body = lines.slice(i + 1, end).map((line) => line.slice(indent!.length));
    const marker =
      lines
        .slice(0, i)
        .reverse()
        .find((line) => line.trim() !== '')
        ?.trim() ?? '';
    const start = i + 1;
    i = end;
    if (!CHECKED_LANGUAGES.has(language!)) continue;
    const noCheck = /^<!-- no-check:(.*)-->$/.exec(marker);
    if (noCheck) {
      skipped.push({ page, line: start, reason: noCheck[1]!.trim() });
      continue;
    }
    const sourceLines = body.map((_, k) => start + 1 + k);
    const previous = blocks.at(-1);
    if (marker === '<!-- continued -->' && previous) {
      previous.code += `\n${body.join('\n')}`;
      previous.lines.push(...sourceLines);
    } else {
      blocks.push({ file: join(ROOT, `${page}.${start}.ts`), page, lines: sourceLines, code: body.join('\n') });
    }
  }
  return { blocks, skipped };
}

function compilerOptions(): ts.CompilerOptions {
  const configFile = join(ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, configFile);
  return {
    ...options,
    noEmit: true,
    declaration: false,
    noUnusedLocals: true,
    noUnusedParameters: true,
    // Every block is a module of its own, even one without imports, so blocks never see each other's names.
    moduleDetection: ts.ModuleDetectionKind.Force,
    // The libraries' own declarations are checked by `npm run typecheck`; here only the blocks are.
    skipLibCheck: true,
  };
}

function typeCheck(blocks: CodeBlock[]): Map<string, string[]> {
  const virtual = new Map(blocks.map((block) => [block.file, block]));
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(file)?.code ?? readFile.call(host, file);
  host.getSourceFile = (file, language, onError, shouldCreate) => {
    const block = virtual.get(file);
    return block
      ? ts.createSourceFile(file, block.code, language, true)
      : getSourceFile.call(host, file, language, onError, shouldCreate);
  };
  const program = ts.createProgram({ rootNames: [GLOBALS, ...virtual.keys()], options, host });
  const errors = new Map<string, string[]>(blocks.map((block) => [block.file, []]));
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const block = diagnostic.file && virtual.get(diagnostic.file.fileName);
    if (!block) {
      // An error outside the blocks (the globals file, a missing dist) fails every block: name it on the first.
      errors.get(blocks[0]!.file)!.push(`${diagnostic.file?.fileName ?? 'options'}: TS${diagnostic.code} ${message}`);
      continue;
    }
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    errors.get(block.file)!.push(`${block.page}:${block.lines[line]}: TS${diagnostic.code} ${message}`);
  }
  return errors;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(page: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  let inFence = false;
  for (const line of readFileSync(join(ROOT, page), 'utf8').split('\n')) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    const heading = !inFence && /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

function brokenLinks(page: string): string[] {
  const text = readFileSync(join(ROOT, page), 'utf8').replace(/^\s*```[\s\S]*?^\s*```/gm, '');
  const broken: string[] = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target!)) continue;
    const [path, anchor] = target!.split('#');
    const file = path ? relative(ROOT, resolve(dirname(join(ROOT, page)), path)) : page;
    if (!existsSync(join(ROOT, file))) broken.push(`${page}: ${target} (no file ${file})`);
    else if (anchor && file.endsWith('.md') && !anchors(file).has(anchor))
      broken.push(`${page}: ${target} (no heading #${anchor})`);
  }
  return broken;
}

const pages = markdownPages();
const extracted = pages.map(extractBlocks);
const blocks = extracted.flatMap(({ blocks }) => blocks);
const skipped = extracted.flatMap(({ skipped }) => skipped);

describe('code blocks of the README and docs/', () => {
  let errors: Map<string, string[]>;

  beforeAll(() => {
    errors = typeCheck(blocks);
  }, 120_000);

  it('finds the README, the docs pages and their TypeScript blocks', () => {
    expect(pages).toEqual(expect.arrayContaining(['README.md', join('docs', 'README.md')]));
    expect(blocks.filter(({ page }) => page === 'README.md').length).toBeGreaterThan(0); // the Quick start
    expect(blocks.length).toBeGreaterThan(15);
  });

  it('leaves out only blocks that say why', () => {
    expect(skipped.filter(({ reason }) => reason.length < 10)).toEqual([]);
  });

  it.each(blocks.map((block) => [`${block.page}:${block.lines[0]! - 1}`, block] as const))(
    'the block at %s compiles',
    (_, block) => {
      expect(errors.get(block.file)).toEqual([]);
    },
  );
});

describe('links of the README, docs/ and the contributor pages', () => {
  const linked = [...pages, 'CONTRIBUTING.md', 'CHANGELOG.md', 'bench/README.md'].filter((page) =>
    existsSync(join(ROOT, page)),
  );

  it.each(linked)('every relative link and anchor of %s resolves', (page) => {
    expect(brokenLinks(page)).toEqual([]);
  });
});
