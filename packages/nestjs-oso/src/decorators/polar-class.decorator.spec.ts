import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOsoEngine, resolvePolarClasses } from '../policy/policy-loader.js';
import { PolarClass, polarClassMetadataOf } from './polar-class.decorator.js';

class Owner {}

@PolarClass('app::Invoice', { fields: () => ({ owner: Owner }) })
class Invoice {
  constructor(readonly paid: boolean) {}
}

@PolarClass({ isaCheck: (value) => (value as { kind?: string })?.kind === 'note' })
class Note {}

class SpecialInvoice extends Invoice {}

describe('@PolarClass()', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nestjs-oso-polar-class-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('stores the name and options on the class itself, not on its subclasses', () => {
    expect(polarClassMetadataOf(Invoice)).toMatchObject({ name: 'app::Invoice' });
    expect(polarClassMetadataOf(Note)?.name).toBeUndefined();
    expect(polarClassMetadataOf(SpecialInvoice)).toBeUndefined();
  });

  it('gives a listed class its Polar name, calls the fields function and keeps the isa check', () => {
    const [invoice, note] = resolvePolarClasses([Invoice, Note]);
    expect(invoice).toMatchObject({ class: Invoice, name: 'app::Invoice', fields: { owner: Owner } });
    expect(note?.name).toBe('Note');
    expect(note?.isaCheck?.({ kind: 'note' })).toBe(true);
  });

  it('lets what the registration states win over the decorator', () => {
    expect(resolvePolarClasses([{ class: Invoice, name: 'Bill' }])[0]).toMatchObject({
      name: 'Bill',
      fields: { owner: Owner },
    });
  });

  it('registers a class listed twice once, and names both classes of a clash with where they came from', () => {
    expect(resolvePolarClasses([Invoice, Invoice, { class: Invoice }])).toHaveLength(1);
    @PolarClass('app::Invoice')
    class OtherInvoice {}
    const origins = new Map<unknown, string>([
      [Invoice, 'module A'],
      [OtherInvoice, 'module B'],
    ]);
    expect(() => resolvePolarClasses([Invoice, OtherInvoice], (entry) => origins.get(entry))).toThrow(
      'duplicate Polar class name "app::Invoice": class Invoice and class OtherInvoice (from module A and module B)',
    );
  });

  it('is what policies see: the engine matches instances by the decorated name', async () => {
    await writeFile(join(dir, 'p.polar'), 'allow(_, "pay", invoice: app::Invoice) if invoice.paid = false;');
    const oso = await createOsoEngine({ policyDir: dir, classes: [Invoice] });
    expect(await oso.isAllowed('ada', 'pay', new Invoice(false))).toBe(true);
    expect(await oso.isAllowed('ada', 'pay', new Invoice(true))).toBe(false);
  });
});
