import { Relation } from 'nestjs-oso';
import { filterAuthorizedItems } from 'nestjs-oso/data-filtering';
import { createTestOso } from 'nestjs-oso/testing';
import { TypeOrmAdapter, typeOrmAdapter } from 'nestjs-oso/typeorm';
import { DataSource } from 'typeorm';

// The classes the Quick start's policy names (the app's own, in src/app.module.ts, are the same shape).
class User {
  constructor(readonly id: number) {}
}
class Document {
  constructor(
    readonly id: number,
    readonly ownerId: number,
    readonly isPublic: boolean,
  ) {}
}

describe("the package's other entry points", () => {
  const options = { policyDir: 'policy', classes: [User, Document] };

  it('nestjs-oso/testing builds the engine as OsoModule does', async () => {
    const { expectAllowed, expectDenied } = await createTestOso(options);
    await expectAllowed(new User(1), 'edit', new Document(1, 1, false));
    await expectDenied(new User(2), 'read', new Document(1, 1, false));
  });

  it('nestjs-oso/data-filtering filters items in memory as the policy decides', async () => {
    const { engine } = await createTestOso(options);
    const documents = [new Document(1, 1, false), new Document(2, 2, true), new Document(3, 3, false)];
    expect(await filterAuthorizedItems(engine, new User(1), 'read', Document, documents)).toEqual([
      documents[0],
      documents[1],
    ]);
  });

  it('nestjs-oso/typeorm makes the adapter of a data source; oso values come from nestjs-oso', () => {
    expect(typeOrmAdapter(new DataSource({ type: 'sqljs' }))).toBeInstanceOf(TypeOrmAdapter);
    expect(new Relation('one', 'User', 'ownerId', 'id').kind).toBe('one');
  });
});
