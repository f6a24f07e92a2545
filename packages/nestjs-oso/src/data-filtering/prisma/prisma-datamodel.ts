import { DataFilteringError } from '../../errors/data-filtering.error.js';

/**
 * A field of a Prisma model, with the facts data filtering needs: the subset of Prisma's DMMF `Field` (from
 * `getDMMF()` of `@prisma/internals`, or read from a client by `prismaDatamodel`).
 *
 * @example
 * const field: PrismaField = { name: 'org', kind: 'object', type: 'Organization', isList: false, isRequired: true,
 *   relationFromFields: ['orgId'], relationToFields: ['id'] };
 * @publicApi
 */
export interface PrismaField {
  name: string;
  /** `scalar`, `enum`, or `object` for a relation field. */
  kind: string;
  /** The scalar type (`Int`, `String`...), the enum's name, or the related model's name. */
  type: string;
  isList: boolean;
  isRequired: boolean;
  isId?: boolean;
  relationName?: string | null;
  /** On the side of a relation that holds the foreign key: its scalar fields, and the fields they reference. */
  relationFromFields?: readonly string[];
  relationToFields?: readonly string[];
}

/**
 * A Prisma model: the subset of Prisma's DMMF `Model` that data filtering reads.
 *
 * @example
 * const model: PrismaModel = { name: 'Expense', fields: [idField, orgField], primaryKey: null };
 * @publicApi
 */
export interface PrismaModel {
  name: string;
  fields: readonly PrismaField[];
  /** A composite primary key (`@@id([a, b])`); a single `@id` field is marked `isId` instead. */
  primaryKey?: { fields: readonly string[] } | null;
}

/**
 * The models of a Prisma schema and the database they are on: what `PrismaAdapter` and `prismaPolarClasses` read.
 *
 * @example
 * const datamodel = prismaDatamodel(prisma); // from a generated client
 * const same: PrismaDatamodel = { provider: 'postgresql', models: (await getDMMF({ datamodel: schema })).datamodel.models };
 * @publicApi
 */
export interface PrismaDatamodel {
  /** The datasource provider: `sqlite`, `postgresql`, `mysql`... */
  provider: string;
  models: readonly PrismaModel[];
  /** Enum names with their values. */
  enums?: Record<string, readonly string[]>;
}

/** What `prismaDatamodel` reads from a generated client (Prisma 6 and 7 keep the schema text for the engine). */
interface ClientInternals {
  _activeProvider?: string;
  _engineConfig?: { inlineSchema?: string; activeProvider?: string };
}

const SCALARS = new Set(['String', 'Boolean', 'Int', 'BigInt', 'Float', 'Decimal', 'DateTime', 'Json', 'Bytes']);

/**
 * The models of a generated Prisma client (or a datamodel given as is). A client of the `prisma-client` generator
 * does not export the DMMF, but carries the schema it was generated from; its models, fields, `@id`, optional and
 * list markers and `@relation` arguments are read from it.
 *
 * @example
 * const datamodel = prismaDatamodel(new PrismaClient({ adapter }));
 * datamodel.models.map((model) => model.name); // ['Organization', 'Expense']
 * @throws {DataFilteringError} when the client carries no schema (not a Prisma client, or an unknown version).
 * @publicApi
 */
export function prismaDatamodel(source: object): PrismaDatamodel {
  if ('models' in source && 'provider' in source) return source as PrismaDatamodel;
  const internals = source as ClientInternals;
  const schema = internals._engineConfig?.inlineSchema;
  const provider = internals._activeProvider ?? internals._engineConfig?.activeProvider;
  if (typeof schema !== 'string' || typeof provider !== 'string') {
    throw new DataFilteringError(
      'prismaDatamodel: expected a PrismaClient (of Prisma 6 or 7) or a datamodel { provider, models } from getDMMF()',
    );
  }
  return parseSchema(schema, provider);
}

/**
 * The models of a Prisma schema's text. It reads what the Prisma schema language says of each field on its line;
 * block comments and `Unsupported(...)` fields are skipped (filters cannot compare them).
 *
 * @example
 * parseSchema('model Tag {\n  id Int @id\n}', 'sqlite').models[0].fields[0].isId; // true
 * @internal
 */
export function parseSchema(schema: string, provider: string): PrismaDatamodel {
  const text = schema.replace(/\/\*[\s\S]*?\*\//g, '');
  const enums: Record<string, string[]> = {};
  for (const [, name, body] of text.matchAll(/^\s*enum\s+(\w+)\s*\{([^}]*)\}/gm)) {
    enums[name!] = body!
      .split('\n')
      .map((line) => line.replace(/\/\/.*$/, '').trim())
      .filter((line) => /^\w/.test(line))
      .map((line) => line.split(/\s/)[0]!);
  }
  const modelNames = new Set([...text.matchAll(/^\s*model\s+(\w+)\s*\{/gm)].map(([, name]) => name!));
  const models: PrismaModel[] = [];
  for (const [, name, body] of text.matchAll(/^\s*model\s+(\w+)\s*\{([\s\S]*?)^\s*\}/gm)) {
    const fields: PrismaField[] = [];
    let primaryKey: PrismaModel['primaryKey'] = null;
    for (const raw of body!.split('\n')) {
      const line = raw.replace(/\/\/.*$/, '').trim();
      const compositeId = /^@@id\(\s*(?:fields:\s*)?\[([^\]]*)\]/.exec(line);
      if (compositeId) primaryKey = { fields: names(compositeId[1]!) };
      const field = /^(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/.exec(line);
      if (!field || line.startsWith('@')) continue;
      const [, fieldName, type, list, optional, rest] = field;
      if (type === 'Unsupported') continue;
      const kind = SCALARS.has(type!)
        ? 'scalar'
        : type! in enums
          ? 'enum'
          : modelNames.has(type!)
            ? 'object'
            : undefined;
      if (kind === undefined) continue;
      const relation = /@relation\(([^)]*)\)/.exec(rest!)?.[1];
      fields.push({
        name: fieldName!,
        kind,
        type: type!,
        isList: list !== undefined,
        isRequired: optional === undefined && list === undefined,
        isId: /(^|\s)@id\b/.test(rest!),
        relationName: relation ? (/^\s*(?:name:\s*)?"([^"]*)"/.exec(relation)?.[1] ?? null) : null,
        relationFromFields: relation ? names(/fields:\s*\[([^\]]*)\]/.exec(relation)?.[1] ?? '') : [],
        relationToFields: relation ? names(/references:\s*\[([^\]]*)\]/.exec(relation)?.[1] ?? '') : [],
      });
    }
    models.push({ name: name!, fields, primaryKey });
  }
  return { provider, models, enums };
}

function names(list: string): string[] {
  return list
    .split(',')
    .map((item) => item.trim().replace(/\(.*$/, ''))
    .filter((item) => item.length > 0);
}

/** The primary key fields of a model. @internal */
export function primaryKeyOf(model: PrismaModel): string[] {
  const single = model.fields.filter((field) => field.isId).map((field) => field.name);
  return single.length > 0 ? single : [...(model.primaryKey?.fields ?? [])];
}

/**
 * The field on the other side of a relation field: the other model's relation field with the same relation name
 * (and, on a self relation, not the field itself).
 *
 * @internal
 */
export function oppositeField(
  datamodel: PrismaDatamodel,
  model: PrismaModel,
  field: PrismaField,
): PrismaField | undefined {
  const other = datamodel.models.find((candidate) => candidate.name === field.type);
  return other?.fields.find(
    (candidate) =>
      candidate.kind === 'object' &&
      candidate.type === model.name &&
      candidate !== field &&
      (candidate.relationName ?? null) === (field.relationName ?? null),
  );
}
