import type { Adapter, Filter } from 'oso';
import type { DataSource } from 'typeorm';
import type { DatabaseKind } from '../../support/databases.js';
import { GdComment, GdDoc, GdMembership, GdOrg, GdTag, GdUser } from './gd-entities.js';
import type { ActorRow, GeneratedData, Perturbation } from './policy-grammar.js';

/** The generated data as entity instances, with each type's collection under its Polar name. */
export interface World {
  docs: GdDoc[];
  collections: Record<string, object[]>;
}

/**
 * Entity instances for the rows: what the engine and the in-memory adapter read. Docs carry their tags (the
 * in-memory adapter follows a many-to-many only when the items carry it) and tags their docs (for the reference
 * adapter). Perturbations give some items what only an in-memory item can hold: an absent property, another type.
 */
export function buildWorld(data: GeneratedData, perturbations: Perturbation[] = []): World {
  const users = data.users.map((row) => Object.assign(new GdUser(), row));
  const orgs = data.orgs.map((row) => Object.assign(new GdOrg(), row));
  const memberships = data.memberships.map((row) => Object.assign(new GdMembership(), row));
  const docs = data.docs.map((row) => Object.assign(new GdDoc(), row));
  const comments = data.comments.map((row) => Object.assign(new GdComment(), row));
  const tags = data.tags.map((row) => Object.assign(new GdTag(), row));
  for (const doc of docs)
    doc.tags = data.docTags.filter(([docId]) => docId === doc.id).map(([, tagId]) => tags[tagId - 1]!);
  for (const tag of tags)
    tag.docs = data.docTags.filter(([, tagId]) => tagId === tag.id).map(([docId]) => docs[docId - 1]!);
  const targets = { doc: docs, comment: comments, user: users } as Record<string, object[]>;
  for (const perturbation of perturbations) {
    const list = targets[perturbation.target]!;
    if (list.length === 0) continue;
    const item = list[perturbation.index % list.length] as Record<string, unknown>;
    if ('absent' in perturbation) delete item[perturbation.field];
    else item[perturbation.field] = perturbation.value;
  }
  return {
    docs,
    collections: {
      GdUser: users,
      GdOrg: orgs,
      GdMembership: memberships,
      GdDoc: docs,
      GdComment: comments,
      GdTag: tags,
    },
  };
}

export function buildActor(row: ActorRow): GdUser {
  return Object.assign(new GdUser(), row);
}

/**
 * How the engine follows a registered `Relation` on an instance, for the expected answers: a plain scan of the
 * world for `Other.otherField = value` (a list field, the many-to-many side, holds the value when one of its
 * objects has it as id). Independent of the adapters under test.
 */
export class ReferenceAdapter implements Adapter<Filter, unknown> {
  world: World | undefined;

  buildQuery(filter: Filter): Filter {
    return filter;
  }

  async executeQuery(filter: Filter): Promise<unknown[]> {
    const [conditions, ...others] = filter.conditions;
    const [condition, ...more] = conditions ?? [];
    if (!condition || others.length > 0 || more.length > 0 || filter.relations.length > 0 || condition.cmp !== 'Eq') {
      throw new Error('ReferenceAdapter: only relation lookups (one equality) are expected');
    }
    const { lhs, rhs } = condition;
    if (!('fieldName' in lhs) || lhs.fieldName === undefined || !('value' in rhs))
      throw new Error('ReferenceAdapter: unexpected condition');
    const field = lhs.fieldName;
    const items = this.world?.collections[filter.model] ?? [];
    return items.filter((item) => {
      const value = (item as Record<string, unknown>)[field];
      return Array.isArray(value)
        ? value.some((other) => (other as { id?: unknown })?.id === rhs.value)
        : value === rhs.value;
    });
  }
}

const TABLES: Array<{ table: string; key: keyof GeneratedData; columns: string[] }> = [
  { table: 'gd_user', key: 'users', columns: ['id', 'level', 'name', 'isAdmin'] },
  { table: 'gd_org', key: 'orgs', columns: ['id', 'tier', 'name'] },
  { table: 'gd_membership', key: 'memberships', columns: ['id', 'userId', 'orgId', 'role'] },
  { table: 'gd_doc', key: 'docs', columns: ['id', 'orgId', 'authorId', 'rank', 'score', 'code', 'flag'] },
  { table: 'gd_comment', key: 'comments', columns: ['id', 'docId', 'authorId', 'votes', 'body'] },
  { table: 'gd_tag', key: 'tags', columns: ['id', 'label', 'weight'] },
];

/** Replaces every table's rows with the data's: PostgreSQL in one round trip, the others statement by statement. */
export async function seed(dataSource: DataSource, kind: DatabaseKind, data: GeneratedData): Promise<void> {
  const quote = kind === 'mariadb' ? (name: string) => `\`${name}\`` : (name: string) => `"${name}"`;
  const literal = (value: unknown): string => {
    if (value === null) return 'NULL';
    if (typeof value === 'boolean') return kind === 'postgres' ? String(value) : value ? '1' : '0';
    if (typeof value === 'number') return String(value);
    return `'${String(value).replace(/'/g, "''")}'`;
  };
  const statements: string[] = [];
  const insert = (table: string, columns: string[], rows: unknown[][]) => {
    if (rows.length === 0) return;
    const values = rows.map((row) => `(${row.map(literal).join(', ')})`).join(', ');
    statements.push(`INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES ${values}`);
  };
  const tables = [...TABLES.map(({ table }) => table), 'gd_doc_tag'];
  // PostgreSQL: TRUNCATE, because thousands of DELETEs leave dead rows that slow every later query.
  if (kind === 'postgres') statements.push(`TRUNCATE ${tables.map(quote).join(', ')}`);
  else for (const table of tables) statements.push(`DELETE FROM ${quote(table)}`);
  for (const { table, key, columns } of TABLES) {
    insert(
      table,
      columns,
      (data[key] as unknown as Array<Record<string, unknown>>).map((row) => columns.map((column) => row[column])),
    );
  }
  insert('gd_doc_tag', ['docId', 'tagId'], data.docTags);
  if (kind === 'postgres') {
    await dataSource.query(statements.join(';\n'));
  } else {
    for (const statement of statements) await dataSource.query(statement);
  }
}
