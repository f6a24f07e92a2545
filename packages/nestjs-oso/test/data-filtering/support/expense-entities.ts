import 'reflect-metadata';
import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, RelationId, type DataSource } from 'typeorm';

/**
 * Entities shaped to exercise what oso's own TypeORM adapter gets wrong: a table name that is not the class name, a
 * primary key that is not `id`, a to-one relation with no key property of its own (only the relation), a
 * `@RelationId`, nullable columns, a composite primary key and a simple-array column.
 */
@Entity({ name: 'organizations' })
export class Organization {
  @PrimaryColumn('int') id!: number;
  @Column('varchar', { length: 32 }) name!: string;
}

@Entity({ name: 'members' })
export class Member {
  @PrimaryColumn('int') id!: number;
  @Column('varchar', { length: 32 }) name!: string;
  @Column('int') limit!: number;
}

/** Registered in Polar as `app::Expense`. */
@Entity({ name: 'expense_rows' })
export class ExpenseRow {
  @PrimaryColumn('varchar', { length: 16 }) code!: string;
  @Column('int') amount!: number;
  /** No `organizationId` property: only the relation knows the key column. */
  @ManyToOne(() => Organization, { nullable: false })
  @JoinColumn({ name: 'organization_ref' })
  organization!: Organization;
  @ManyToOne(() => Member) @JoinColumn({ name: 'submitter_ref' }) submitter!: Member;
  @RelationId((expense: ExpenseRow) => expense.submitter) submitterId!: number;
  @Column('int', { nullable: true }) approverId!: number | null;
  @Column('int', { nullable: true }) reviewerId!: number | null;
  @Column('varchar', { length: 32, nullable: true }) note!: string | null;
  @Column('simple-array') labels!: string[];
}

/** A composite primary key. */
@Entity({ name: 'allocations' })
export class Allocation {
  @PrimaryColumn('varchar', { length: 16 }) expenseCode!: string;
  @PrimaryColumn('int') year!: number;
  @Column('int') share!: number;
}

export const EXPENSE_ENTITIES = [Organization, Member, ExpenseRow, Allocation];

export async function seedExpenses(dataSource: DataSource): Promise<void> {
  await dataSource.getRepository(Organization).insert([
    { id: 1, name: 'acme' },
    { id: 2, name: 'globex' },
  ]);
  await dataSource.getRepository(Member).insert([
    { id: 1, name: 'alice', limit: 100 },
    { id: 2, name: 'bob', limit: 1000 },
  ]);
  const rows: Array<
    Omit<ExpenseRow, 'organization' | 'submitter' | 'submitterId'> & { organization: number; submitter: number }
  > = [
    {
      code: 'E1',
      amount: 50,
      organization: 1,
      submitter: 1,
      approverId: 1,
      reviewerId: 1,
      note: 'ok',
      labels: ['travel'],
    },
    {
      code: 'E2',
      amount: 120,
      organization: 1,
      submitter: 2,
      approverId: 2,
      reviewerId: null,
      note: null,
      labels: ['food', 'travel'],
    },
    {
      code: 'E3',
      amount: 300,
      organization: 2,
      submitter: 1,
      approverId: null,
      reviewerId: null,
      note: 'late',
      labels: ['hardware'],
    },
    { code: 'E4', amount: 999, organization: 2, submitter: 2, approverId: null, reviewerId: 2, note: 'ok', labels: [] },
    {
      code: 'E5',
      amount: 100,
      organization: 1,
      submitter: 1,
      approverId: 2,
      reviewerId: 1,
      note: 'OK',
      labels: ['food'],
    },
  ];
  await dataSource.getRepository(ExpenseRow).insert(
    rows.map(({ organization, submitter, ...row }) => ({
      ...row,
      organization: { id: organization },
      submitter: { id: submitter },
    })),
  );
  await dataSource.getRepository(Allocation).insert([
    { expenseCode: 'E1', year: 2024, share: 50 },
    { expenseCode: 'E1', year: 2025, share: 50 },
    { expenseCode: 'E2', year: 2025, share: 100 },
  ]);
}
