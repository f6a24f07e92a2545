import type { Logger } from '@nestjs/common';
import type { Oso } from 'oso';
import { Host, Dict } from '../engine/oso-internals.js';
import { Variable } from '../engine/oso-library.js';
import { errorKind } from '../engine/engine-error-log.js';
import { FIELD, UnsupportedPolicy, variablesOf, type Constraint } from './constraint-model.js';
import { compileDecision, guardActionDecision, guardFieldDecision, prepareDecision } from './decision-analysis.js';
import { compileConjunctions, type CompileContext } from './predicate-compiler.js';
import {
  ACTION,
  ANY_ACTION,
  partiallyEvaluateDecision,
  PartialEvaluationRefused,
  type DecisionQuery,
  type PartialArgument,
} from './partial-evaluation.js';
import { AskEngine, FetchRelation, PolarClasses, type FetchedRelations } from './polar-values.js';
import { fetchRelation, relationFetchesOf } from './relation-fetch.js';
import { policyFeaturesOf } from './policy-sources.js';

/**
 * One (actor class, action, resource class) of `OsoService.compiledDecisions()`, or for `allow_field` one (actor
 * class, action, resource class, field): whether its decisions are compiled or asked of the engine, why, and how
 * many took each path.
 *
 * @example
 * for (const d of oso.compiledDecisions()) console.log(d.actor, d.action, d.resource, d.status, d.reason ?? '');
 * @publicApi
 */
export interface CompiledDecisionInfo {
  /** The rule decided: `allow` (`isAllowed`, `authorize`...) or `allow_field` (`authorizeField`, `authorizeField()`). */
  rule: 'allow' | 'allow_field';
  /** The actor's class as Polar knows it (`User`), or `nil`, `Object`, `string`... */
  actor: string;
  /** The action, as given. */
  action: string | number | boolean;
  /** The resource's class as Polar knows it (`Expense`, `HttpRequest`). */
  resource: string;
  /** The field, as given (for `allow_field`). */
  field?: string | number | boolean;
  /** `compiled`: decided by the compiled predicate; `engine`: always asked of the engine; `compiling`: not yet known. */
  status: 'compiled' | 'engine' | 'compiling';
  /** Why the engine decides this triple (for `engine`). */
  reason?: string;
  /** The ways to be allowed the predicate checks, in Polar-like syntax (for `compiled`; empty: never allowed). */
  rules?: string[];
  /**
   * `ordered`: each way stops at its first failing condition, in the engine's order; `exhaustive`: every condition
   * is checked, so that a lookup the engine might fail on is never skipped (more hand-overs, never a different answer).
   */
  evaluation?: 'ordered' | 'exhaustive';
  /** Decisions answered by the compiled predicate. */
  compiledDecisions: number;
  /** Decisions answered by the engine, including the compiled predicate's hand-overs. */
  engineDecisions: number;
  /** Why the compiled predicate handed single decisions to the engine, with counts (a failed lookup, a Promise...). */
  handedToEngine: Record<string, number>;
}

/** The rules whose decisions are compiled. */
type DecisionRule = 'allow' | 'allow_field';

/** Bounds on what is compiled per engine; beyond them, the engine decides. */
const LIMITS = { maxTriples: 10_000, maxResults: 64, timeoutMs: 2_000, maxRelationFetches: 8 };

const ASK_TOO_MANY_RELATIONS = new AskEngine(
  `more than ${LIMITS.maxRelationFetches} data filtering relations in one decision`,
);

const ALLOW_FIELD_LATE_ACTION =
  'an allow_field rule may test its action after reading attributes, which partial evaluation skips for other actions';

const NIL = Symbol('nil');
const UNDEFINED = Symbol('undefined');
const NO_CONSTRUCTOR = Symbol('no constructor');
/** The field key of `allow` decisions, which have none. */
const NO_FIELD = Symbol('no field');
const BUILT_IN: ReadonlySet<unknown> = new Set([Object, Number, String, Boolean, Array, Dict, Function]);

type Fixed = string | number | boolean;

/** One (actor class, action, resource class), with its field for `allow_field`: a "triple" of either rule. */
interface Triple {
  rule: DecisionRule;
  actor: string;
  action: Fixed;
  resource: string;
  field?: Fixed;
  status: CompiledDecisionInfo['status'];
  evaluate?: (actor: unknown, resource: unknown, field?: unknown) => boolean;
  reason?: string;
  rules?: string[];
  mode?: 'ordered' | 'exhaustive';
  pending?: Promise<void>;
  compiled: number;
  engine: number;
  handedToEngine: Map<string, number>;
  /** The triple's keys in its `TripleTable`, for `EngineState.last`. */
  keys: { actor: unknown; resource: unknown; field: unknown };
}

/** actor key → action → resource key → field (`NO_FIELD` for `allow`) → triple. */
type TripleTable = Map<unknown, Map<unknown, Map<unknown, Map<unknown, Triple>>>>;

/** A way of a listing that allows any action (or field). */
const WILDCARD: unique symbol = Symbol('wildcard');

/**
 * The compiled listing of one (actor class, resource class), with the action for `allow_field`: the ways to be
 * allowed, in the engine's order, each with the action (field) it allows.
 */
interface Listing {
  status: 'compiling' | 'compiled' | 'engine';
  ways?: ListingWay[];
  pending?: Promise<void>;
}

/** One way of a listing: the action (field) it allows, or any, and its predicate. */
interface ListingWay {
  label: Fixed | typeof WILDCARD;
  evaluate: (actor: unknown, resource: unknown, field?: unknown) => boolean;
}

interface EngineState {
  /** Per rule. */
  triples: Record<DecisionRule, TripleTable>;
  /** rule → actor key → resource key → action (`NO_FIELD` for `allow`) → listing. */
  listings: Map<DecisionRule, Map<unknown, Map<unknown, Map<unknown, Listing>>>>;
  count: number;
  context: CompileContext;
  /** `PolicyFeatures.lateFieldTests`: `allow_field` predicates are guarded (see `guardFieldDecision`). */
  lateFieldTests: boolean;
  /**
   * `PolicyFeatures.lateActionTests`: `allow` predicates are guarded (see `guardActionDecision`); `allow_field`
   * decisions and listings are left to the engine.
   */
  lateActionTests: { allow: boolean; allow_field: boolean };
  /** The compiled triple of the last `allow` or `allow_field` decision that found one. */
  last?: Triple;
  /** Set when nothing of this engine's policy can be compiled. */
  refusal?: string;
  /** The check of the engine's `equalityFn`, done once. */
  ready: Promise<void>;
}

/**
 * `allow` decisions compiled into JavaScript predicates, per engine and per (actor class, action, resource class),
 * and `allow_field` decisions per (actor class, action, resource class, field): the engine's partial evaluation of
 * the triple is asked once, on first use, and compiled; later decisions of the triple run the predicate on the live
 * objects. What the predicate cannot answer exactly, the engine answers. A new engine (a policy reload) starts with
 * nothing compiled.
 */
export class CompiledDecisions {
  private readonly engines = new WeakMap<Oso, EngineState>();
  /** The engine `stateOf` last found, and its state: one engine serves every call until a reload replaces it. */
  private lastEngine: Oso | undefined;
  private lastState: EngineState | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly enabled: boolean,
  ) {}

  /**
   * The compiled answer to `allow(actor, action, resource)`, or `undefined` when the engine must answer. The first
   * decision of a triple waits for its compilation. `call` is the state of the call (request) the decision is made
   * in: the data filtering relations fetched for it are shared by the call's decisions (`RelationFetches`).
   */
  decide(
    engine: Oso,
    actor: unknown,
    action: unknown,
    resource: unknown,
    call?: object,
  ): boolean | undefined | Promise<boolean | undefined> {
    return this.decideRule('allow', engine, actor, action, resource, NO_FIELD, call);
  }

  /**
   * The compiled answer to `allow_field(actor, action, resource, field)`, or `undefined` when the engine must
   * answer, as `decide` gives it for `allow`.
   */
  decideField(
    engine: Oso,
    actor: unknown,
    action: unknown,
    resource: unknown,
    field: unknown,
    call?: object,
  ): boolean | undefined | Promise<boolean | undefined> {
    if (!isFixed(field)) return undefined;
    return this.decideRule('allow_field', engine, actor, action, resource, field, call);
  }

  /**
   * The compiled answer to `authorizedActions(actor, resource, { allowWildcard })` (`rule` `allow`, no action) or
   * `authorizedFields(actor, action, resource, { allowWildcard })` (`allow_field`), in the engine's order, or
   * `undefined` when the engine must answer the whole call (a way that fails to evaluate, a wildcard without
   * `allowWildcard`, a listing that could not be compiled). The first listing of a pair waits for its compilation.
   */
  list(
    rule: DecisionRule,
    engine: Oso,
    actor: unknown,
    action: unknown,
    resource: unknown,
    allowWildcard: boolean,
    call?: object,
  ): Set<unknown> | undefined | Promise<Set<unknown> | undefined> {
    if (!this.enabled) return undefined;
    if (rule === 'allow_field' && !isFixed(action)) return undefined;
    const state = this.stateOf(engine);
    const actionKey = rule === 'allow' ? NO_FIELD : (action as Fixed);
    let byActor = state.listings.get(rule);
    if (!byActor) state.listings.set(rule, (byActor = new Map()));
    const actorKey = keyOf(actor);
    const resourceKey = keyOf(resource);
    let byResource = byActor.get(actorKey);
    if (!byResource) byActor.set(actorKey, (byResource = new Map()));
    let byAction = byResource.get(resourceKey);
    if (!byAction) byResource.set(resourceKey, (byAction = new Map()));
    let listing = byAction.get(actionKey);
    if (!listing) {
      if (state.count >= LIMITS.maxTriples) return undefined;
      const started: Listing = { status: 'compiling' };
      started.pending = this.compileListing(engine, state, started, rule, actor, action, resource).finally(
        () => delete started.pending,
      );
      byAction.set(actionKey, (listing = started));
      state.count++;
    }
    if (listing.status === 'compiled')
      return this.runListing(engine, state, listing, actor, resource, allowWildcard, call);
    if (listing.status === 'engine') return undefined;
    const waiting = listing;
    return waiting.pending!.then(() =>
      waiting.status === 'compiled'
        ? this.runListing(engine, state, waiting, actor, resource, allowWildcard, call)
        : undefined,
    );
  }

  /**
   * Every way is evaluated, in the engine's order, each completely (loops and `or` over all their items), as the
   * engine enumerates every result: any failure makes the engine answer. A wildcard way that allows ends the listing
   * as the engine's does (`*`, or the engine's own error without `allowWildcard`). A data filtering relation a way
   * reaches is fetched as in `run`, and the listing runs again from its first way with every relation fetched so
   * far, so relations are fetched in the order the engine reaches them.
   */
  private runListing(
    engine: Oso,
    state: EngineState,
    listing: Listing,
    actor: unknown,
    resource: unknown,
    allowWildcard: boolean,
    call: object | undefined,
    fetched?: FetchedRelations,
    fetches = 0,
  ): Set<unknown> | undefined | Promise<Set<unknown> | undefined> {
    const classes = state.context.classes;
    const outer = classes.fetched;
    classes.fetched = fetched;
    const found = new Set<unknown>();
    try {
      for (const way of listing.ways!) {
        if (!way.evaluate(actor, resource, way.label === WILDCARD ? undefined : way.label)) continue;
        if (way.label === WILDCARD) return allowWildcard ? new Set(['*']) : undefined;
        found.add(way.label);
      }
    } catch (error) {
      // A failed lookup, an application error, a relation only the engine can fetch, too many relations: the engine
      // answers the whole call.
      if (!(error instanceof FetchRelation) || fetches >= LIMITS.maxRelationFetches) return undefined;
      return withRelation(engine, error, fetched, call).then(
        (relations) =>
          this.runListing(engine, state, listing, actor, resource, allowWildcard, call, relations, fetches + 1),
        () => undefined,
      );
    } finally {
      classes.fetched = outer;
    }
    return found;
  }

  private async compileListing(
    engine: Oso,
    state: EngineState,
    listing: Listing,
    rule: DecisionRule,
    actorValue: unknown,
    action: unknown,
    resourceValue: unknown,
  ): Promise<void> {
    try {
      await state.ready;
      if (state.refusal) throw new UnsupportedPolicy(state.refusal);
      const actor = argumentFor(actorValue, state.context.classes);
      const resource = argumentFor(resourceValue, state.context.classes);
      // The engine sorts rules by the classes of concrete arguments; unknown ones may be sorted otherwise.
      if (actor.kind === 'unknown' || resource.kind === 'unknown')
        throw new UnsupportedPolicy('an actor or resource of no registered class');
      if (rule === 'allow_field' && state.lateActionTests.allow_field)
        throw new UnsupportedPolicy(ALLOW_FIELD_LATE_ACTION);
      const query: DecisionQuery = rule === 'allow' ? { rule, action: ANY_ACTION } : { rule, action, field: 'unknown' };
      const results = await partiallyEvaluateDecision(engine, query, actor, resource, LIMITS, 'separate');
      const varied = rule === 'allow' ? ACTION : FIELD;
      const ways = results.map((result): ListingWay & { conjunction: Constraint[] } => {
        const bound = result.get(varied);
        result.delete(varied);
        let label: Fixed | typeof WILDCARD;
        if (isFixed(bound)) label = bound;
        else if (bound === undefined || (bound instanceof Variable && [varied, '_this'].includes(bound.name)))
          label = WILDCARD;
        else throw new UnsupportedPolicy(`a ${rule === 'allow' ? 'action' : 'field'} that is not a constant`);
        const conjunction = prepareDecision([result], state.context).conjunctions[0]!;
        if (conjunction.some((constraint) => variablesOf(constraint).has(varied)))
          throw new UnsupportedPolicy(`a ${rule === 'allow' ? 'action' : 'field'} compared with other values`);
        const predicate = compileConjunctions([conjunction], state.context, 'exhaustive');
        return { label, evaluate: predicate.evaluate, conjunction };
      });
      const tags = [actor, resource].flatMap((argument) => (argument.kind === 'instance-of' ? [argument.tag] : []));
      const unordered = listingOrderRefusal(
        engine,
        state.context.classes,
        tags,
        ways.map((way) => way.conjunction),
      );
      if (unordered) throw new UnsupportedPolicy(unordered);
      listing.ways = ways.map(({ label, evaluate }) => ({ label, evaluate }));
      listing.status = 'compiled';
    } catch (error) {
      const message = (error as Error)?.message?.split('\n')[0] ?? String(error);
      listing.status = 'engine';
      this.logger.debug(`a listing of ${rule} is left to the engine: ${message}`);
    }
  }

  private decideRule(
    rule: DecisionRule,
    engine: Oso,
    actor: unknown,
    action: unknown,
    resource: unknown,
    field: Fixed | typeof NO_FIELD,
    call: object | undefined,
  ): boolean | undefined | Promise<boolean | undefined> {
    if (!this.enabled || !isFixed(action)) return undefined;
    const state = this.stateOf(engine);
    const actorKey = keyOf(actor);
    const resourceKey = keyOf(resource);
    // The triple of the previous decision, without the four lookups: a route decides the same triple request after
    // request.
    const last = state.last;
    if (
      last !== undefined &&
      last.rule === rule &&
      last.action === action &&
      last.keys.actor === actorKey &&
      last.keys.resource === resourceKey &&
      last.keys.field === field &&
      last.status === 'compiled'
    ) {
      return this.run(engine, state, last, actor, resource, last.field, call);
    }
    const table = state.triples[rule];
    let byAction = table.get(actorKey);
    let byResource = byAction?.get(action);
    let byField = byResource?.get(resourceKey);
    let triple = byField?.get(field);
    if (!triple) {
      if (state.count >= LIMITS.maxTriples) return undefined;
      if (!byAction) table.set(actorKey, (byAction = new Map()));
      if (!byResource) byAction.set(action, (byResource = new Map()));
      if (!byField) byResource.set(resourceKey, (byField = new Map()));
      triple = this.start(engine, state, rule, actor, action, resource, field);
      byField.set(field, triple);
      state.count++;
    }
    if (triple.status === 'compiled') {
      state.last = triple;
      return this.run(engine, state, triple, actor, resource, triple.field, call);
    }
    if (triple.status === 'compiling') {
      const waiting = triple;
      return waiting.pending!.then(() =>
        waiting.status === 'compiled'
          ? this.run(engine, state, waiting, actor, resource, waiting.field, call)
          : this.toEngine(waiting),
      );
    }
    return this.toEngine(triple);
  }

  /** The triples of `engine` seen so far, for `OsoService.compiledDecisions()`. */
  describe(engine: Oso): CompiledDecisionInfo[] {
    const state = this.engines.get(engine);
    if (!state) return [];
    const infos: CompiledDecisionInfo[] = [];
    const triples = [state.triples.allow, state.triples.allow_field].flatMap((table) =>
      [...table.values()].flatMap((byAction) =>
        [...byAction.values()].flatMap((byResource) =>
          [...byResource.values()].flatMap((byField) => [...byField.values()]),
        ),
      ),
    );
    for (const triple of triples) {
      infos.push({
        rule: triple.rule,
        actor: triple.actor,
        action: triple.action,
        resource: triple.resource,
        ...(triple.field !== undefined && { field: triple.field }),
        status: triple.status,
        ...(triple.reason !== undefined && { reason: triple.reason }),
        ...(triple.rules && { rules: [...triple.rules] }),
        ...(triple.mode && { evaluation: triple.mode }),
        compiledDecisions: triple.compiled,
        engineDecisions: triple.engine,
        handedToEngine: Object.fromEntries(triple.handedToEngine),
      });
    }
    return infos;
  }

  /**
   * Runs the predicate. A data filtering relation it reaches is fetched as the engine would fetch it, and the
   * predicate runs again with it (and every relation fetched before), until it answers or only the engine can.
   */
  private run(
    engine: Oso,
    state: EngineState,
    triple: Triple,
    actor: unknown,
    resource: unknown,
    field: unknown,
    call: object | undefined,
    fetched?: FetchedRelations,
    fetches = 0,
  ): boolean | undefined | Promise<boolean | undefined> {
    const classes = state.context.classes;
    // Restored afterwards: a getter the predicate reads could make a decision of its own.
    const outer = classes.fetched;
    classes.fetched = fetched;
    try {
      const allowed = triple.evaluate!(actor, resource, field);
      triple.compiled++;
      return allowed;
    } catch (error) {
      if (error instanceof FetchRelation) {
        if (fetches >= LIMITS.maxRelationFetches) return this.handOver(triple, ASK_TOO_MANY_RELATIONS);
        return withRelation(engine, error, fetched, call).then(
          (relations) => this.run(engine, state, triple, actor, resource, field, call, relations, fetches + 1),
          (failure: unknown) => this.handOver(triple, failure),
        );
      }
      return this.handOver(triple, error);
    } finally {
      classes.fetched = outer;
    }
  }

  /** Counts and logs why the compiled predicate gave a decision to the engine. */
  private handOver(triple: Triple, error: unknown): undefined {
    // Only the class of an application error: its message may hold field values (and may vary without end).
    let reason =
      error instanceof AskEngine
        ? error.reason
        : `the application threw ${errorKind(error)} while the compiled check read it`;
    // The list of reasons stays short.
    if (!triple.handedToEngine.has(reason) && triple.handedToEngine.size >= 20) reason = 'other reasons';
    const count = triple.handedToEngine.get(reason) ?? 0;
    triple.handedToEngine.set(reason, count + 1);
    if (count === 0) this.logger.debug(`${label(triple)}: this decision goes to the engine: ${reason}`);
    return this.toEngine(triple);
  }

  private toEngine(triple: Triple): undefined {
    triple.engine++;
    return undefined;
  }

  private stateOf(engine: Oso): EngineState {
    if (engine === this.lastEngine) return this.lastState!;
    let state = this.engines.get(engine);
    if (state) {
      this.lastEngine = engine;
      this.lastState = state;
      return state;
    }
    const features = policyFeaturesOf(engine);
    const refusal = !features
      ? 'the policy text is unknown (the engine was not built by createOsoEngine)'
      : features.cut
        ? 'the policy uses `cut`, which partial evaluation ignores'
        : features.forall
          ? 'the policy uses `forall`, which partial evaluation does not translate faithfully'
          : features.compoundNegation
            ? 'the policy negates a group or a rule call (`not (a and b)`), which partial evaluation does not translate faithfully'
            : features.reflexive
              ? `the policy compares an attribute with itself (\`${features.reflexive}\`), which partial evaluation drops`
              : features.deadCondition
                ? `the policy has a condition that fails on constants alone after another (\`${features.deadCondition}\`): partial evaluation drops its rule with the lookups before it`
                : undefined;
    state = {
      triples: { allow: new Map(), allow_field: new Map() },
      listings: new Map(),
      count: 0,
      context: {
        classes: new PolarClasses(engine.getHost().types),
        negation: features?.negation ?? true,
        aliased: features?.aliased ?? new Set(),
        bareConditions: features?.bareConditions ?? true,
      },
      lateFieldTests: features?.lateFieldTests ?? true,
      lateActionTests: features?.lateActionTests ?? { allow: true, allow_field: true },
      ...(refusal && { refusal }),
      ready: Promise.resolve(),
    };
    const created = state;
    created.ready = usesDefaultEquality(engine).then(
      (standard) => {
        if (!standard && !created.refusal) created.refusal = 'the engine has a custom equalityFn';
      },
      () => {
        created.refusal ??= 'the engine has an equalityFn that could not be checked';
      },
    );
    this.engines.set(engine, state);
    this.lastEngine = engine;
    this.lastState = state;
    return state;
  }

  private start(
    engine: Oso,
    state: EngineState,
    rule: DecisionRule,
    actor: unknown,
    action: Fixed,
    resource: unknown,
    field: Fixed | typeof NO_FIELD,
  ): Triple {
    const triple: Triple = {
      rule,
      actor: describeClass(actor, state.context.classes),
      action,
      resource: describeClass(resource, state.context.classes),
      ...(field !== NO_FIELD && { field }),
      status: 'compiling',
      compiled: 0,
      engine: 0,
      handedToEngine: new Map(),
      keys: { actor: keyOf(actor), resource: keyOf(resource), field },
    };
    const actorArgument = argumentFor(actor, state.context.classes);
    const resourceArgument = argumentFor(resource, state.context.classes);
    triple.pending = this.compile(engine, state, triple, actorArgument, resourceArgument).finally(
      () => delete triple.pending,
    );
    return triple;
  }

  private async compile(
    engine: Oso,
    state: EngineState,
    triple: Triple,
    actor: PartialArgument,
    resource: PartialArgument,
  ): Promise<void> {
    try {
      await state.ready;
      if (state.refusal) throw new UnsupportedPolicy(state.refusal);
      if (triple.rule === 'allow_field' && state.lateActionTests.allow_field)
        throw new UnsupportedPolicy(ALLOW_FIELD_LATE_ACTION);
      const query: DecisionQuery = { rule: triple.rule, action: triple.action };
      if (triple.field !== undefined) query.field = { value: triple.field };
      const separate = await partiallyEvaluateDecision(engine, query, actor, resource, LIMITS, 'separate');
      const prepared = prepareDecision(separate, state.context);
      const single =
        prepared.orderable && separate.length > 0
          ? await partiallyEvaluateDecision(engine, query, actor, resource, LIMITS, 'single').catch(() => undefined)
          : undefined;
      let predicate = compileDecision(prepared, single, state.context);
      if (triple.rule === 'allow' && state.lateActionTests.allow) {
        const anyAction = { rule: 'allow', action: ANY_ACTION } as const;
        const results = await partiallyEvaluateDecision(engine, anyAction, actor, resource, LIMITS, 'separate');
        predicate = guardActionDecision(predicate, results, triple.action, state.context);
      }
      if (triple.field !== undefined && state.lateFieldTests) {
        const unknownField = { ...query, field: 'unknown' as const };
        const results = await partiallyEvaluateDecision(engine, unknownField, actor, resource, LIMITS, 'separate');
        predicate = guardFieldDecision(predicate, results, triple.field, state.context);
      }
      triple.evaluate = predicate.evaluate;
      triple.rules = predicate.rules;
      triple.mode = predicate.mode;
      triple.status = 'compiled';
      this.logger.debug(
        `${label(triple)} is compiled (${predicate.mode}): ${predicate.rules.length ? predicate.rules.join(' | ') : 'never allowed'}`,
      );
    } catch (error) {
      const known = error instanceof UnsupportedPolicy || error instanceof PartialEvaluationRefused;
      const message = (error as Error)?.message?.split('\n')[0] ?? String(error);
      triple.reason = known ? message : `partial evaluation failed: ${message}`;
      triple.status = 'engine';
      this.logger.debug(`${label(triple)} is decided by the engine: ${triple.reason}`);
    }
  }
}

/**
 * Why the partial evaluator may list the ways of an engine in another order than the engine follows for concrete
 * values, if it may: the engine sorts the rules of a call by the specificity of their specializers for the values
 * given, the partial evaluator does not for a subclass (`r: Doc` and `r: SecretDoc` both match a `SecretDoc`) nor
 * for a pattern with fields (`r: Doc{ok: true}` before `r: Doc`). The order of a listing is the engine's.
 */
function listingOrderRefusal(
  engine: Oso,
  classes: PolarClasses,
  tags: string[],
  conjunctions: Constraint[][],
): string | undefined {
  const sorted = policyFeaturesOf(engine)?.fieldSpecializers;
  if (!sorted) return 'the policy text is unknown';
  const isas = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      const node = value as { c?: string; tag?: string };
      if (node.c === 'isa' && node.tag !== undefined) isas.add(node.tag);
      Object.values(node).forEach(walk);
    }
  };
  walk(conjunctions);
  if (sorted.has('') || [...tags, ...isas].some((tag) => sorted.has(tag)))
    return 'the policy has specializers with fields for these classes, whose rules the engine sorts';
  const registered = [...classes.types]
    .filter(([key, type]) => typeof key === 'string' && typeof type.cls === 'function' && !BUILT_IN.has(type.cls))
    .map(([, type]) => type.cls as { prototype: unknown });
  for (const cls of registered)
    for (const other of registered)
      if (cls !== other && cls.prototype instanceof (other as never))
        return 'registered classes extend one another, whose rules the engine sorts';
  return undefined;
}

/** Actions (fixed into the partial query) and fields are compiled when they are primitives. */
function isFixed(value: unknown): value is Fixed {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean';
}

/** The class of a value as a key: its constructor, or a marker for `null`, `undefined` and primitives. */
function keyOf(value: unknown): unknown {
  if (value === null) return NIL;
  if (value === undefined) return UNDEFINED;
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor ?? NO_CONSTRUCTOR;
}

/** How the actor or resource enters the partial query: typed when its class is registered. */
function argumentFor(value: unknown, classes: PolarClasses): PartialArgument {
  if (value === null || value === undefined) return { kind: 'value', value };
  if (typeof value === 'object') {
    const cls = (value as object).constructor;
    if (cls && !BUILT_IN.has(cls) && classes.isRegistered(cls))
      return { kind: 'instance-of', tag: classes.nameOf(cls)! };
  }
  return { kind: 'unknown' };
}

function describeClass(value: unknown, classes: PolarClasses): string {
  if (value === null) return 'nil';
  if (value === undefined) return 'undefined';
  if (typeof value !== 'object') return typeof value;
  const cls = (value as object).constructor;
  if (cls && classes.isRegistered(cls)) return classes.nameOf(cls)!;
  return (cls as { name?: string } | undefined)?.name || 'Object';
}

function label(triple: Triple): string {
  const field = triple.field === undefined ? '' : `, ${JSON.stringify(triple.field)}`;
  return `${triple.rule}(${triple.actor}, ${JSON.stringify(triple.action)}, ${triple.resource}${field})`;
}

/** Compiled checks compare objects with oso's default `equalityFn`; an engine built with another one is left alone. */
async function usesDefaultEquality(engine: Oso): Promise<boolean> {
  const host = Host.clone(engine.getHost(), {});
  const equal = (a: unknown, b: unknown) => host.externalOp('Eq', host.toPolar(a), host.toPolar(b));
  return (
    (await equal({ a: [1, { b: 'c' }] }, { a: [1, { b: 'c' }] })) === true &&
    (await equal({ a: 1 }, { a: 2 })) === false &&
    (await equal(new Date(0), new Date(0))) === true
  );
}

/** The relations fetched so far in a decision, with the one `need` asks for fetched as the engine fetches it. */
async function withRelation(
  engine: Oso,
  need: FetchRelation,
  fetched: FetchedRelations | undefined,
  call: object | undefined,
): Promise<FetchedRelations> {
  const value = await (call ? relationFetchesOf(call).fetch(engine, need) : fetchRelation(engine, need));
  const relations = fetched ?? new Map<object, Map<string, unknown>>();
  let byAttribute = relations.get(need.receiver);
  if (!byAttribute) relations.set(need.receiver, (byAttribute = new Map()));
  byAttribute.set(need.attribute, value);
  return relations;
}
