/**
 * Single-decision latency, in microseconds: the bare engine next to the module's `OsoService`, with compiled
 * decisions (the default) and without (`compile: false`), for the expenses policy (with the GraphQL benchmark's
 * `allow_field` rule) and for a policy with 50 resource types (one such rule each): `allow` decisions, and
 * `allow_field` decisions through `authorizeField`, and the listings `authorizedActions` and `authorizedFields`. Operations alternate in rounds; figures are medians of every timed call. Outside a request,
 * `OsoService` has no memo, so this is the full cost of each check.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { createOsoEngine, OsoService, type OsoModuleOptions } from 'nestjs-oso';
import { ADMIN, CLASSES, EXPENSE, MEMBER, Organization, POLICY_DIR } from './support/domain.js';
import { fixed, median, table } from './support/report.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);
const ROUNDS = 5;
const RESOURCE_TYPES = 50;

/** The expenses policy's shape, repeated for 50 resource types. */
function manyTypesPolicy(): string {
  const blocks = Array.from(
    { length: RESOURCE_TYPES },
    (_, i) => `resource Resource${i} {
  permissions = ["read", "update", "delete"];
  relations = { organization: Organization };
  "read" if "member" on "organization";
  "update" if "admin" on "organization";
  "delete" if "admin" on "organization";
}
has_relation(org: Organization, "organization", r: Resource${i}) if r.organization = org;
allow_field(user: User, "read", r: Resource${i}, "amount") if has_permission(user, "read", r);`,
  );
  return `actor User {}
resource Organization { roles = ["member", "admin"]; permissions = ["read"]; "read" if "member"; "member" if "admin"; }
has_role(user: User, role: String, org: Organization) if
  m in user.memberships and m.orgId = org.id and m.role = role;
allow(actor, action, resource) if has_permission(actor, action, resource);
${blocks.join('\n')}`;
}

interface Subject {
  name: string;
  /** Compiled decisions on (the default). */
  service: OsoService;
  /** The same engine behind `compile: false`. */
  engineOnly: OsoService;
  resource: unknown;
  /** An action the member may not do but the admin may. */
  denied: string;
}

async function subjects(dir: string): Promise<Subject[]> {
  const small: OsoModuleOptions = { policyDir: POLICY_DIR, classes: CLASSES };
  await writeFile(join(dir, 'many.polar'), manyTypesPolicy());
  const resourceClasses = Array.from({ length: RESOURCE_TYPES }, (_, i) => ({
    class: class {
      constructor(readonly organization: Organization) {}
    },
    name: `Resource${i}`,
  }));
  const many: OsoModuleOptions = {
    policyDir: dir,
    classes: [...CLASSES.filter((c) => c.name !== 'Expense'), ...resourceClasses],
  };
  const last = resourceClasses.at(-1)!.class;
  const both = async (options: OsoModuleOptions) => {
    const engine = await createOsoEngine(options);
    return {
      service: new OsoService(engine, options),
      engineOnly: new OsoService(engine, { ...options, compile: false }),
    };
  };
  return [
    { name: 'expenses policy', ...(await both(small)), resource: EXPENSE, denied: 'approve' },
    {
      name: `${RESOURCE_TYPES} resource types`,
      ...(await both(many)),
      resource: new last(EXPENSE.organization),
      denied: 'update',
    },
  ];
}

/** Each operation with compiled decisions (the default) and on the engine alone (`compile: false`). */
const CHECKS: Array<[string, (service: OsoService, s: Subject) => Promise<unknown>]> = [
  ['OsoService.isAllowed (allow)', (service, s) => service.isAllowed(MEMBER, 'read', s.resource)],
  ['OsoService.isAllowed (RBAC deny)', (service, s) => service.isAllowed(MEMBER, s.denied, s.resource)],
  ['OsoService.authorize (allow)', (service, s) => service.authorize(ADMIN, 'read', s.resource)],
  [
    'OsoService.authorize (deny, 403 after the read re-check)',
    (service, s) => service.authorize(MEMBER, s.denied, s.resource).catch(() => undefined),
  ],
  [
    'OsoService.authorize (deny, checkRead: false)',
    (service, s) => service.authorize(MEMBER, s.denied, s.resource, { checkRead: false }).catch(() => undefined),
  ],
  ['OsoService.authorizeField (allow)', (service, s) => service.authorizeField(MEMBER, 'read', s.resource, 'amount')],
  [
    'OsoService.authorizeField (deny, 403)',
    (service, s) => service.authorizeField(MEMBER, 'read', s.resource, 'id').catch(() => undefined),
  ],
  ['OsoService.authorizedActions', (service, s) => service.authorizedActions(ADMIN, s.resource)],
  ['OsoService.authorizedFields', (service, s) => service.authorizedFields(MEMBER, 'read', s.resource)],
];

const OPERATIONS: Array<[string, (s: Subject) => Promise<unknown>]> = [
  ['engine isAllowed (bare oso, allow)', (s) => s.service.engine.isAllowed(MEMBER, 'read', s.resource)],
  ...CHECKS.flatMap(([name, run]): Array<[string, (s: Subject) => Promise<unknown>]> => [
    [`${name}, compiled`, (s) => run(s.service, s)],
    [`${name}, engine only`, (s) => run(s.engineOnly, s)],
  ]),
];

async function measure(subject: Subject): Promise<Map<string, number[]>> {
  const times = new Map<string, number[]>(OPERATIONS.map(([name]) => [name, []]));
  for (const [, run] of OPERATIONS) for (let i = 0; i < 100; i++) await run(subject); // tier-up
  // Compiled checks take microseconds: give them the calls the engine's take in time, for the JIT.
  for (const [name, run] of OPERATIONS)
    if (name.endsWith(', compiled')) for (let i = 0; i < 20_000; i++) await run(subject);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of OPERATIONS) {
      for (let i = 0; i < ITERATIONS / ROUNDS; i++) {
        const start = process.hrtime.bigint();
        await run(subject);
        times.get(name)!.push(Number(process.hrtime.bigint() - start) / 1000);
      }
    }
  }
  return times;
}

// The module logs at debug level how each (actor class, action, resource class) is decided; not wanted here.
Logger.overrideLogger(false);
const dir = await mkdtemp(join(tmpdir(), 'nestjs-oso-bench-'));
try {
  const all = await subjects(dir);
  const results: Array<Map<string, number[]>> = [];
  for (const subject of all) results.push(await measure(subject));
  const at = (times: Map<string, number[]>, name: string) => median(times.get(name)!);
  const rows = OPERATIONS.map(([name]) => [
    name,
    ...results.map((times) => fixed(at(times, name), name.endsWith(', compiled') ? 2 : 0)),
  ]);
  rows.push([
    'module overhead of isAllowed (engine only) over the bare engine',
    ...results.map((times) => {
      const bare = at(times, OPERATIONS[0]![0]);
      return `${fixed(((at(times, 'OsoService.isAllowed (allow), engine only') - bare) / bare) * 100, 1)}%`;
    }),
  ]);
  for (const [name] of CHECKS) {
    rows.push([
      `speed-up of compiling: ${name}`,
      ...results.map((times) => `${fixed(at(times, `${name}, engine only`) / at(times, `${name}, compiled`), 0)}×`),
    ]);
  }
  const compiled = all.map((s) => {
    const triples = s.service.compiledDecisions();
    return `${s.name}: ${triples.filter((t) => t.status === 'compiled').length} of ${triples.length} triples compiled`;
  });
  console.log(
    `## Single decisions (median µs of ${ITERATIONS} calls each, interleaved in ${ROUNDS} rounds)\n\n` +
      table(['operation', ...all.map((s) => s.name)], rows) +
      `\n\n${compiled.join('; ')}.`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
