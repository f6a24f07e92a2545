import * as fc from 'fast-check';

/**
 * The grammar of the generated differential suite: policies over docs (`d`) read by a user (`actor`), and the data
 * they are evaluated on. A policy is one to three `allow` rules for "read"; a rule body is one to three atoms, each
 * reading a path from the doc (the doc itself, its organization, its author, a comment and the comment's author, a
 * tag, a membership of its organization: many-to-one, one-to-many, many-to-many, chains of hops, one type reached
 * through two paths), compared with a constant, an attribute of the actor or another field.
 */

/** The Polar type of each path, and the binding it needs (`c in d.comments`). */
export const PATHS = {
  d: { expr: 'd', entity: 'doc', binding: undefined },
  org: { expr: 'd.org', entity: 'org', binding: undefined },
  author: { expr: 'd.author', entity: 'user', binding: undefined },
  comment: { expr: 'c', entity: 'comment', binding: 'c in d.comments' },
  commentAuthor: { expr: 'c.author', entity: 'user', binding: 'c in d.comments' },
  tag: { expr: 't', entity: 'tag', binding: 't in d.tags' },
  membership: { expr: 'm', entity: 'membership', binding: 'm in d.org.memberships' },
  membershipOrg: { expr: 'm.org', entity: 'org', binding: 'm in d.org.memberships' },
} as const;
export type PathName = keyof typeof PATHS;

type FieldType = 'int' | 'float' | 'string' | 'bool' | 'key';
/** The scalar fields of each entity, with the column type they have in the databases. */
export const FIELDS: Record<string, Record<string, FieldType>> = {
  doc: { rank: 'int', score: 'float', code: 'string', flag: 'bool', orgId: 'key', authorId: 'key' },
  org: { tier: 'int', name: 'string', id: 'key' },
  user: { level: 'int', name: 'string', isAdmin: 'bool', id: 'key' },
  comment: { votes: 'int', body: 'string', authorId: 'key' },
  tag: { label: 'string', weight: 'int' },
  membership: { role: 'string', userId: 'key' },
};

/** Constants in Polar syntax, by the type they are meant for; any of them may meet any column. */
const CONSTANTS: Record<FieldType | 'nil', string[]> = {
  int: ['0', '1', '2', '3', '-1'],
  key: ['1', '2', '3'],
  float: ['1.5', '2.0', '2.5', '-0.5'],
  string: ['"2"', '"2.0"', '" 2"', '"a"', '"A"', '"a "', '"ab"', '"Ab"', '""', '"admin"', '"member"'],
  bool: ['true', 'false'],
  nil: ['nil'],
};
const ALL_CONSTANTS = Object.values(CONSTANTS).flat();
const OPERATORS = ['=', '!=', '<', '<=', '>', '>='] as const;

/**
 * An operator for a field: any of them on numbers; mostly `=` and `!=` on strings and booleans, whose ordering
 * against nil or another type the SQL adapter refuses (it is still generated, less often).
 */
function operatorFor(type: FieldType): fc.Arbitrary<string> {
  if (type === 'int' || type === 'float' || type === 'key') return fc.constantFrom(...OPERATORS);
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('=', '!=') },
    { weight: 1, arbitrary: fc.constantFrom(...OPERATORS) },
  );
}
/** The actor's attributes: `actor.id` always holds a key, the others may be nil. */
const ACTOR_ATTRIBUTES = ['id', 'level', 'name', 'isAdmin'] as const;
const ACTOR_TYPES: Record<(typeof ACTOR_ATTRIBUTES)[number], FieldType> = {
  id: 'key',
  level: 'int',
  name: 'string',
  isAdmin: 'bool',
};

/** Types whose values Polar compares without raising: numbers with numbers, strings with strings. */
function comparable(a: FieldType, b: FieldType): boolean {
  const family = (type: FieldType) => (type === 'int' || type === 'key' || type === 'float' ? 'number' : type);
  return family(a) === family(b);
}

export type Atom =
  | { kind: 'constant'; path: PathName; field: string; op: string; value: string }
  | { kind: 'actor'; path: PathName; field: string; op: string; attribute: string }
  | { kind: 'field'; path: PathName; field: string; op: string; other: string }
  | { kind: 'in'; path: PathName; field: string; values: string[] }
  | { kind: 'not'; path: PathName; field: string; value: string }
  | { kind: 'bare'; path: PathName; field: string }
  | { kind: 'role'; role: string };

export interface GeneratedPolicy {
  rules: Atom[][];
}

function fieldsOf(path: PathName): string[] {
  return Object.keys(FIELDS[PATHS[path].entity]!);
}

/** A constant for a field: mostly of its own type (or nil), sometimes of any type. */
function constantFor(type: FieldType): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 14, arbitrary: fc.constantFrom(...CONSTANTS[type]) },
    { weight: 2, arbitrary: fc.constant('nil') },
    { weight: 1, arbitrary: fc.constantFrom(...ALL_CONSTANTS) },
  );
}

const pathArb = fc.constantFrom(...(Object.keys(PATHS) as PathName[]));

/** One of `preferred` five times in six when there is one, else any of `all`. */
function preferring<T>(preferred: readonly T[], all: readonly T[]): fc.Arbitrary<T> {
  const any = fc.constantFrom(...all);
  return preferred.length > 0
    ? fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...preferred) }, { weight: 1, arbitrary: any })
    : any;
}

const atomArb: fc.Arbitrary<Atom> = pathArb.chain((path) => {
  const fields = fieldsOf(path);
  const entity = PATHS[path].entity;
  const fieldArb = fc.constantFrom(...fields);
  const typeOf = (field: string) => FIELDS[entity]![field]!;
  const booleans = fields.filter((field) => typeOf(field) === 'bool');
  /** A field of the path with an operator for its type. */
  const comparison = <K extends string>(kind: K) =>
    fc
      .record({ kind: fc.constant(kind), path: fc.constant(path), field: fieldArb })
      .chain((atom) => operatorFor(typeOf(atom.field)).map((op) => ({ ...atom, op })));

  const withConstant = fc
    .record({ kind: fc.constant('constant' as const), path: fc.constant(path), field: fieldArb })
    .chain((atom) =>
      fc
        .record({ op: operatorFor(typeOf(atom.field)), value: constantFor(typeOf(atom.field)) })
        .map((rest) => ({ ...atom, ...rest })),
    );
  const withActor = comparison('actor' as const).chain((atom) => {
    const alike = ACTOR_ATTRIBUTES.filter((attribute) => comparable(ACTOR_TYPES[attribute], typeOf(atom.field)));
    return preferring(alike, ACTOR_ATTRIBUTES).map((attribute) => ({ ...atom, attribute }));
  });
  const withField = comparison('field' as const).chain((atom) => {
    const others = fields.filter((field) => field !== atom.field);
    const alike = others.filter((field) => comparable(typeOf(field), typeOf(atom.field)));
    // Rarely the field itself (`d.rank >= d.rank`): the partial evaluator drops that comparison, so every filter of
    // the policy refuses, which would leave little else tested if it were common.
    return fc
      .oneof({ weight: 1, arbitrary: fc.constant(atom.field) }, { weight: 40, arbitrary: preferring(alike, others) })
      .map((other) => ({ ...atom, other }));
  });
  const inList = fc
    .record({ kind: fc.constant('in' as const), path: fc.constant(path), field: fieldArb })
    .chain((atom) =>
      fc.array(constantFor(typeOf(atom.field)), { minLength: 1, maxLength: 3 }).map((values) => ({ ...atom, values })),
    );
  const negated = fc
    .record({ kind: fc.constant('not' as const), path: fc.constant(path), field: fieldArb })
    .chain((atom) => constantFor(typeOf(atom.field)).map((value) => ({ ...atom, value })));
  const bare = fc.record({
    kind: fc.constant('bare' as const),
    path: fc.constant(path),
    field: fc.constantFrom(...(booleans.length > 0 ? booleans : fields)),
  });
  const role = fc.record({
    kind: fc.constant('role' as const),
    role: fc.constantFrom('"admin"', '"member"', '"Admin"'),
  });

  return fc.oneof(
    { weight: 8, arbitrary: withConstant },
    { weight: 3, arbitrary: withActor },
    { weight: 2, arbitrary: withField },
    { weight: 2, arbitrary: inList },
    { weight: 1, arbitrary: negated },
    ...(booleans.length > 0 ? [{ weight: 1, arbitrary: bare }] : []),
    { weight: 1, arbitrary: role },
  );
});

/** One to three rules of one to three atoms. */
export const policyArb: fc.Arbitrary<GeneratedPolicy> = fc.record({
  rules: fc.array(fc.array(atomArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
});

function renderAtom(atom: Atom): string {
  switch (atom.kind) {
    case 'constant':
      return `${PATHS[atom.path].expr}.${atom.field} ${atom.op} ${atom.value}`;
    case 'actor':
      return `${PATHS[atom.path].expr}.${atom.field} ${atom.op} actor.${atom.attribute}`;
    case 'field':
      return `${PATHS[atom.path].expr}.${atom.field} ${atom.op} ${PATHS[atom.path].expr}.${atom.other}`;
    case 'in':
      return `${PATHS[atom.path].expr}.${atom.field} in [${atom.values.join(', ')}]`;
    case 'not':
      return `not ${PATHS[atom.path].expr}.${atom.field} = ${atom.value}`;
    case 'bare':
      return `${PATHS[atom.path].expr}.${atom.field}`;
    case 'role':
      return `m.userId = actor.id and m.role = ${atom.role}`;
  }
}

function bindingOf(atom: Atom): string | undefined {
  return atom.kind === 'role' ? PATHS.membership.binding : PATHS[atom.path].binding;
}

/** The policy in Polar. */
export function renderPolicy(policy: GeneratedPolicy): string {
  return policy.rules
    .map((atoms) => {
      const bindings = [...new Set(atoms.map(bindingOf).filter((binding): binding is string => binding !== undefined))];
      const actor = atoms.some((atom) => atom.kind === 'actor' || atom.kind === 'role') ? 'actor' : '_';
      return `allow(${actor}: GdUser, "read", d: GdDoc) if\n  ${[...bindings, ...atoms.map(renderAtom)].join(' and\n  ')};`;
    })
    .join('\n');
}

/** Rows as the databases hold them. */
export interface UserRow {
  id: number;
  level: number | null;
  name: string | null;
  isAdmin: boolean;
}
export interface OrgRow {
  id: number;
  tier: number | null;
  name: string | null;
}
export interface MembershipRow {
  id: number;
  userId: number;
  orgId: number;
  role: string;
}
export interface DocRow {
  id: number;
  orgId: number;
  authorId: number;
  rank: number | null;
  score: number | null;
  code: string | null;
  flag: boolean | null;
}
export interface CommentRow {
  id: number;
  docId: number;
  authorId: number;
  votes: number | null;
  body: string | null;
}
export interface TagRow {
  id: number;
  label: string | null;
  weight: number | null;
}

export interface GeneratedData {
  users: UserRow[];
  orgs: OrgRow[];
  memberships: MembershipRow[];
  docs: DocRow[];
  comments: CommentRow[];
  tags: TagRow[];
  docTags: Array<[docId: number, tagId: number]>;
}

const intN = fc.constantFrom(null, 0, 1, 2, 3, -1);
const floatN = fc.constantFrom(null, 0, 1.5, 2, 2.5, -0.5);
// Strings that look like numbers, with trailing spaces, in mixed case.
const stringN = fc.constantFrom(null, '2', '2.0', ' 2', 'a', 'A', 'a ', 'ab', 'Ab', '', 'admin');
const boolN = fc.constantFrom(null, true, false);
const USERS = 3;
const ORGS = 2;
const TAGS = 3;

const withIds = <T>(rows: T[]) => rows.map((row, i) => ({ id: i + 1, ...row }));

export const dataArb: fc.Arbitrary<GeneratedData> = fc.integer({ min: 3, max: 6 }).chain((docCount) =>
  fc.record({
    users: fc
      .array(fc.record({ level: intN, name: stringN, isAdmin: fc.boolean() }), { minLength: USERS, maxLength: USERS })
      .map(withIds),
    orgs: fc.array(fc.record({ tier: intN, name: stringN }), { minLength: ORGS, maxLength: ORGS }).map(withIds),
    memberships: fc
      .array(
        fc.record({
          userId: fc.integer({ min: 1, max: USERS }),
          orgId: fc.integer({ min: 1, max: ORGS }),
          role: fc.constantFrom('admin', 'member', 'Admin', 'admin '),
        }),
        { maxLength: 4 },
      )
      .map(withIds),
    docs: fc
      .array(
        fc.record({
          orgId: fc.integer({ min: 1, max: ORGS }),
          authorId: fc.integer({ min: 1, max: USERS }),
          rank: intN,
          score: floatN,
          code: stringN,
          flag: boolN,
        }),
        { minLength: docCount, maxLength: docCount },
      )
      .map(withIds),
    comments: fc
      .array(
        fc.record({
          docId: fc.integer({ min: 1, max: docCount }),
          authorId: fc.integer({ min: 1, max: USERS }),
          votes: intN,
          body: stringN,
        }),
        { maxLength: 5 },
      )
      .map(withIds),
    tags: fc.array(fc.record({ label: stringN, weight: intN }), { minLength: TAGS, maxLength: TAGS }).map(withIds),
    docTags: fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: docCount }), fc.integer({ min: 1, max: TAGS })), {
      maxLength: 5,
      selector: ([doc, tag]) => `${doc}:${tag}`,
    }),
  }),
);

/** The actor: a user who may or may not be one of the rows, with nil attributes at times. */
export const actorArb = fc.record({
  id: fc.integer({ min: 1, max: USERS + 1 }),
  level: intN,
  name: stringN,
  isAdmin: fc.boolean(),
});
export type ActorRow = UserRow;

/**
 * What an in-memory item may hold that a database row cannot: an absent property, a value of another type (a
 * string that looks like a number, a boolean, a list, undefined, a float in an integer field).
 */
export type Perturbation = { target: 'doc' | 'comment' | 'user'; index: number; field: string } & (
  { value: unknown } | { absent: true }
);

const ODD_VALUES = ['2', '2.0', ' 2', true, false, [1], undefined, 2.5, 1, 'A', null];
export const perturbationsArb: fc.Arbitrary<Perturbation[]> = fc.array(
  fc
    .oneof(
      fc.record({
        target: fc.constant('doc' as const),
        index: fc.nat(5),
        field: fc.constantFrom('rank', 'score', 'code', 'flag', 'orgId'),
      }),
      fc.record({ target: fc.constant('comment' as const), index: fc.nat(4), field: fc.constantFrom('votes', 'body') }),
      fc.record({
        target: fc.constant('user' as const),
        index: fc.nat(2),
        field: fc.constantFrom('level', 'name', 'isAdmin'),
      }),
    )
    .chain((where) =>
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...ODD_VALUES).map((value) => ({ ...where, value })) },
        { weight: 1, arbitrary: fc.constant({ ...where, absent: true as const }) },
      ),
    ),
  { minLength: 1, maxLength: 2 },
);

/**
 * A policy and an actor with the data sets they are checked on: loading a policy and evaluating it partially for the
 * actor are the costly parts, so they are shared.
 */
export interface GeneratedCase {
  policy: GeneratedPolicy;
  actor: ActorRow;
  sets: Array<{ data: GeneratedData; perturbations: Perturbation[] }>;
}

export function caseArb(setsPerPolicy: number): fc.Arbitrary<GeneratedCase> {
  return fc.record({
    policy: policyArb,
    actor: actorArb,
    sets: fc.array(fc.record({ data: dataArb, perturbations: perturbationsArb }), {
      minLength: setsPerPolicy,
      maxLength: setsPerPolicy,
    }),
  });
}
