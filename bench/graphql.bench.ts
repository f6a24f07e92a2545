/**
 * GraphQL throughput of a query authorized by `@Authorize` with a resource, and of a list of 100 objects with a field
 * under `authorizeField()`, each against the same resolver without authorization, on Apollo (Express) and Mercurius
 * (Fastify), over 127.0.0.1.
 *
 * One process per driver serves all four root fields (support/graphql-server.ts), so a variant and its baseline run
 * the same app, guard and interceptor: the baselines skip authorization (`@SkipAuthorization()`), and the list's
 * baseline returns the same objects as a type without the field middleware. A variant and its baseline are loaded
 * one after the other, in alternating order from round to round, and each round gives one ratio: on a shared machine
 * whose speed drifts from one second to the next, the ratios of adjacent runs compare better than the medians.
 *
 * `BENCH_DRIVERS=apollo` (or `mercurius`), `BENCH_ROUNDS` and `BENCH_SECONDS` narrow a run for a quick look.
 */
import type { CompiledDecisionInfo } from 'nestjs-oso';
import { CONNECTIONS, PIN, pinLoadGenerator } from './support/http-load.js';
import { GraphQLServer, type QuerySample } from './support/graphql-load.js';
import { fixed, median, table } from './support/report.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const DRIVERS = (process.env.BENCH_DRIVERS ?? 'apollo,mercurius').split(',');

interface Query {
  name: string;
  /** The root field, also the key of its answer's data. */
  field: string;
  query: string;
}

/** An authorized query and the same resolver without authorization. */
interface Pair {
  variant: Query;
  baseline: Query;
  /** The throughput the variant must keep, as a share of its baseline's. */
  target?: number;
}

const PAIRS: Pair[] = [
  {
    variant: {
      name: "`expense(id)`: `@Authorize('read', { resource })` + `@AuthorizedResource()`",
      field: 'expense',
      query: '{ expense(id: 1) { id amount } }',
    },
    baseline: {
      name: '`expenseOpen(id)`: the same lookup, `@SkipAuthorization()`',
      field: 'expenseOpen',
      query: '{ expenseOpen(id: 1) { id amount } }',
    },
    target: 0.85,
  },
  {
    variant: {
      name: '`expenses`: 100 objects, `amount` under `authorizeField()`',
      field: 'expenses',
      query: '{ expenses { id amount } }',
    },
    baseline: {
      name: '`expensesOpen`: the same 100 objects, no field middleware',
      field: 'expensesOpen',
      query: '{ expensesOpen { id amount } }',
    },
  },
];

pinLoadGenerator();

/** Fails unless the variant answers what its baseline answers (all allowed: the same ids and amounts). */
async function checkAnswers(server: GraphQLServer): Promise<void> {
  for (const { variant, baseline } of PAIRS) {
    const answer = (query: Query) =>
      server.query(query.query).then((data) => JSON.stringify((data as Record<string, unknown>)[query.field]));
    const [authorized, open] = [await answer(variant), await answer(baseline)];
    if (authorized !== open || open === 'null')
      throw new Error(`${variant.field} answered ${authorized}, ${baseline.field} ${open}`);
  }
}

const spread = (values: number[], digits: number) =>
  `${fixed(median(values), digits)} (${fixed(Math.min(...values), digits)}-${fixed(Math.max(...values), digits)})`;

async function benchDriver(driver: string): Promise<string> {
  const server = await GraphQLServer.start(driver);
  const samples = new Map<Query, QuerySample[]>(PAIRS.flatMap((p) => [p.variant, p.baseline]).map((q) => [q, []]));
  const ratios = new Map<Pair, number[]>(PAIRS.map((pair) => [pair, []]));
  let decisions: CompiledDecisionInfo[];
  try {
    await checkAnswers(server);
    for (const { variant, baseline } of PAIRS) {
      await server.load(baseline.query, DURATION);
      await server.load(variant.query, DURATION);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const pair of round % 2 ? [...PAIRS].reverse() : PAIRS) {
        const order = round % 2 ? [pair.variant, pair.baseline] : [pair.baseline, pair.variant];
        const measured = new Map<Query, QuerySample>();
        for (const query of order) measured.set(query, await server.load(query.query, DURATION));
        for (const [query, sample] of measured) samples.get(query)!.push(sample);
        ratios.get(pair)!.push(measured.get(pair.variant)!.rps / measured.get(pair.baseline)!.rps);
      }
    }
    await checkAnswers(server);
    decisions = await server.compiledDecisions();
  } finally {
    await server.stop();
  }

  const rows = PAIRS.flatMap((pair) => {
    const row = (query: Query, ratio: string, target: string, result: string) => {
      const runs = samples.get(query)!;
      return [
        query.name,
        spread(
          runs.map((s) => s.rps),
          0,
        ),
        fixed(median(runs.map((s) => s.p50)), 1),
        fixed(median(runs.map((s) => s.cpu)), 0),
        ratio,
        target,
        result,
      ];
    };
    const ratio = median(ratios.get(pair)!);
    const met = pair.target === undefined ? 'no target' : ratio >= pair.target ? 'met' : 'NOT met';
    return [
      row(pair.baseline, 'baseline', '', ''),
      row(pair.variant, spread(ratios.get(pair)!, 3), pair.target === undefined ? '' : `>= ${pair.target}`, met),
    ];
  });
  const header = [
    'variant',
    'requests/s, median (min-max)',
    'p50 ms',
    'server CPU µs per request',
    'ratio to baseline, median (min-max)',
    'target',
    'result',
  ];
  // The single query's decision: (User, "read", Expense), compiled or not, and how many decisions took each path.
  const read = decisions.find((d) => d.actor === 'User' && d.action === 'read' && d.resource === 'Expense');
  const decided = read
    ? `\`${read.status}\` (${read.compiledDecisions} decisions compiled, ${read.engineDecisions} by the engine` +
      `${Object.keys(read.handedToEngine).length ? `, handed over: ${JSON.stringify(read.handedToEngine)}` : ''})`
    : 'never asked';
  return (
    `### ${driver === 'mercurius' ? 'Mercurius on Fastify' : 'Apollo on Express'}\n\n${table(header, rows)}\n\n` +
    `The single query's decision, \`OsoService.compiledDecisions()\` for (User, "read", Expense) after the runs: ` +
    `${decided}. The list's \`allow_field\` decisions are compiled too, once per object and field in a request ` +
    `(\`authorizeField()\`; see \`compiledDecisions()\` entries with \`rule: 'allow_field'\`).`
  );
}

const sections = [];
for (const driver of DRIVERS) sections.push(await benchDriver(driver));
const placement = PIN
  ? 'one server process per driver on core 0, load generator on core 1'
  : 'one server process per driver, sharing the cores with the load generator';
console.log(
  `## GraphQL throughput (${CONNECTIONS} connections, POSTs over 127.0.0.1; ${ROUNDS} rounds of ${DURATION} s per ` +
    `query, a variant and its baseline one after the other in alternating order, one ratio per round; ` +
    `${placement})\n\n${sections.join('\n\n')}`,
);
