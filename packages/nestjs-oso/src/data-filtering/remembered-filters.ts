/**
 * Data filters remembered per engine, action and resource type, so that a list request does not pay a partial
 * evaluation of the policy each time. A filter is remembered with the recording of what the engine observed of the
 * actor while building it (`actor-recording.ts`); a later actor gets it when the same observations, made again on
 * that actor in the same order, give the same answers. The engine is deterministic, so it would have made exactly
 * those observations and built exactly that filter: the remembered one is the engine's answer, not an approximation.
 *
 * The recordings of one (engine, action, type) form a tree: each node is an observation, each branch one of its
 * answers, each leaf a filter; replaying walks it from the root. A filter is remembered only when it holds plain
 * values (no object of the actor: `resource.owner = actor` compares with that very object) and the engine observed
 * nothing else of the application (a constant's attribute, `new`, a comparison of two objects, a relation fetched
 * from something else than the actor). A reload makes a new engine, which starts with nothing remembered.
 */
import type { Filter, Oso } from 'oso';
import { Host as HostClass, Predicate, Query, type Host } from '../engine/oso-internals.js';
import { Relation } from '../engine/oso-library.js';
import { fetchRelation } from '../compiled-decisions/relation-fetch.js';
import { AskEngine } from '../compiled-decisions/polar-values.js';
import { ActorRecording, observedKey, prototypeKey, type ActorStep, type RecordedStep } from './actor-recording.js';

/** Filters remembered per (engine, action, type); one more starts the tree afresh (memory stays bounded). */
const MAX_FILTERS_PER_TREE = 1_000;

interface Leaf {
  filter: Filter;
}

interface StepNode {
  step: ActorStep;
  next: Map<string, StepNode | Leaf>;
}

interface Tree {
  root?: StepNode;
  filters: number;
}

const trees = new WeakMap<Oso, Map<string, Tree>>();

/** The filters remembered for one (engine, action, type), or `undefined` for an action that is not a plain value. */
export function rememberedFilters(engine: Oso, action: unknown, model: string): RememberedFilters | undefined {
  if (action !== null && typeof action !== 'string' && typeof action !== 'number' && typeof action !== 'boolean') {
    return undefined;
  }
  let byKey = trees.get(engine);
  if (!byKey) trees.set(engine, (byKey = new Map()));
  const key = `${typeof action}:${String(action)}\u0000${model}`;
  let tree = byKey.get(key);
  if (!tree) byKey.set(key, (tree = { filters: 0 }));
  return new RememberedFilters(engine, tree);
}

/** The remembered filters of one (engine, action, type). */
export class RememberedFilters {
  constructor(
    private readonly engine: Oso,
    private readonly tree: Tree,
  ) {}

  /**
   * The filter remembered for an actor on which every recorded observation gives the recorded answer, or
   * `undefined`. Synchronous unless a data filtering relation must be fetched again.
   */
  recall(actor: unknown): Filter | undefined | Promise<Filter | undefined> {
    const node = this.tree.root;
    if (!node) return undefined;
    return new Replay(this.engine, actor).walk(node);
  }

  /** Remembers the filter a recording led to, unless the recording or the filter cannot stand for later actors. */
  remember(recording: ActorRecording, filter: Filter): void {
    if (recording.refused !== undefined || !holdsPlainValues(filter)) return;
    if (this.tree.filters >= MAX_FILTERS_PER_TREE) {
      this.tree.root = undefined;
      this.tree.filters = 0;
    }
    const steps = recording.steps;
    if (steps.length === 0) return;
    const leaf: Leaf = { filter: deepFreeze(filter) };
    if (!this.tree.root) {
      this.tree.root = chain(steps, leaf);
      this.tree.filters++;
      return;
    }
    let node: StepNode = this.tree.root;
    for (let i = 0; ; i++) {
      // The same answers so far always lead the engine to the same next observation; a node that disagrees (or a
      // path that ends early) means something else than the actor changed, and nothing is remembered.
      if (!sameStep(node.step, steps[i]!.step)) return;
      const next = node.next.get(steps[i]!.observed);
      if (i === steps.length - 1) {
        if (next !== undefined) return;
        node.next.set(steps[i]!.observed, leaf);
        this.tree.filters++;
        return;
      }
      if (next === undefined) {
        node.next.set(steps[i]!.observed, chain(steps.slice(i + 1), leaf));
        this.tree.filters++;
        return;
      }
      if ('filter' in next) return;
      node = next;
    }
  }
}

/** One walk of the tree for one actor: its objects by index, as the recording numbered them. */
class Replay {
  private readonly objects: object[] = [];
  private readonly indexes = new Map<object, number>();

  constructor(
    private readonly engine: Oso,
    private readonly actor: unknown,
  ) {}

  walk(start: StepNode): Filter | undefined | Promise<Filter | undefined> {
    let node: StepNode | Leaf = start;
    while (!('filter' in node)) {
      let observed: string | undefined | Promise<string | undefined>;
      try {
        observed = this.perform(node.step);
      } catch {
        // What throws here threw for no recorded actor: the engine decides.
        return undefined;
      }
      if (observed instanceof Promise) return this.continueAfter(observed, node);
      const next: StepNode | Leaf | undefined = observed === undefined ? undefined : node.next.get(observed);
      if (next === undefined) return undefined;
      node = next;
    }
    return node.filter;
  }

  private async continueAfter(pending: Promise<string | undefined>, node: StepNode): Promise<Filter | undefined> {
    const observed = await pending.catch(() => undefined);
    const next = observed === undefined ? undefined : node.next.get(observed);
    if (next === undefined) return undefined;
    return 'filter' in next ? next.filter : this.walk(next);
  }

  /** Makes one observation on this actor, as the recording made it; the key of its answer. */
  private perform(step: ActorStep): string | undefined | Promise<string | undefined> {
    switch (step.op) {
      case 'actor':
        return this.key(this.actor);
      case 'get':
        return this.key(Reflect.get(this.objects[step.base]!, step.key));
      case 'has':
        return this.key(Reflect.has(this.objects[step.base]!, step.key));
      case 'proto':
        return prototypeKey(Reflect.getPrototypeOf(this.objects[step.base]!));
      case 'call': {
        const receiver = this.objects[step.base]!;
        const method: unknown = Reflect.get(receiver, step.key);
        if (method !== step.fn) return undefined;
        return this.key((method as (...args: unknown[]) => unknown).apply(receiver, step.args));
      }
      case 'relation':
        return fetchRelation(this.engine, {
          receiver: this.objects[step.base]!,
          relation: step.relation as Relation,
        } as Parameters<typeof fetchRelation>[1]).then(
          (value) => this.key(value),
          (error: unknown) => {
            if (error instanceof AskEngine) return undefined;
            throw error;
          },
        );
    }
  }

  private key(value: unknown): string | undefined {
    return observedKey(value, this.indexes, this.objects);
  }
}

/**
 * Runs `allow(actor, action, resource)` with the resource partially known, as `Oso.queryRule` does with
 * `acceptExpression` (a clone of the engine's host, the query made from the same term), and, when `recording` is
 * given, with the hooks that report to it what the actor's proxies cannot see: a call or iteration on something else
 * than the actor, `new`, a comparison of application objects, a relation fetched from the actor.
 */
export function queryPartialAllow(
  engine: Oso,
  bindings: Map<string, unknown>,
  actor: unknown,
  action: unknown,
  resource: unknown,
  recording?: ActorRecording,
): AsyncGenerator<Map<string, unknown>> {
  const host = HostClass.clone(engine.getHost(), { acceptExpression: true }) as Host<unknown, unknown>;
  if (recording) watchHost(host, recording);
  const ffiQuery = engine.getFfi().newQueryFromTerm(host.toPolar(new Predicate('allow', [actor, action, resource])));
  (engine as unknown as { processMessages(): void }).processMessages();
  const query = new Query(ffiQuery, host, bindings);
  if (recording) watchQuery(query, host, recording);
  return query.results as AsyncGenerator<Map<string, unknown>>;
}

function watchHost(host: Host<unknown, unknown>, recording: ActorRecording): void {
  const hooks = host as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const makeInstance = hooks.makeInstance!.bind(host);
  hooks.makeInstance = (...args) => {
    recording.refuse('the policy makes an instance (new)');
    return makeInstance(...args);
  };
  const externalOp = hooks.externalOp!.bind(host);
  hooks.externalOp = async (operator, left, right) => {
    const [l, r] = [await host.toJs(left as never), await host.toJs(right as never)];
    if (!recording.owns(l) && !recording.owns(r)) return externalOp(operator, left, right);
    // Identity and deep equality of the actor's objects are not recorded: compare the real objects, once.
    recording.refuse('the policy compares objects of the actor');
    return externalOp(operator, host.toPolar(recording.unwrap(l)), host.toPolar(recording.unwrap(r)));
  };
}

function watchQuery(query: Query<unknown, unknown>, host: Host<unknown, unknown>, recording: ActorRecording): void {
  const hooks = query as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const handleCall = hooks.handleCall!.bind(query);
  hooks.handleCall = async (attribute, callId, instance, args) => {
    if (!recording.owns(await host.toJs(instance as never))) {
      recording.refuse(`the policy reads .${String(attribute)} of something else than the actor`);
    }
    return handleCall(attribute, callId, instance, args);
  };
  const handleRelation = hooks.handleRelation!.bind(query);
  hooks.handleRelation = async (receiver, relation) =>
    recording.fetched(receiver, relation as object, await handleRelation(receiver, relation));
  const handleNextExternal = hooks.handleNextExternal!.bind(query);
  hooks.handleNextExternal = async (callId, iterable) => {
    if (!recording.owns(await host.toJs(iterable as never))) {
      recording.refuse('the policy iterates over something else than the actor');
    }
    return handleNextExternal(callId, iterable);
  };
}

/** A chain of nodes for `steps`, ending in `leaf`. */
function chain(steps: RecordedStep[], leaf: Leaf): StepNode {
  let next: StepNode | Leaf = leaf;
  for (let i = steps.length - 1; i >= 0; i--) {
    next = { step: steps[i]!.step, next: new Map([[steps[i]!.observed, next]]) };
  }
  return next as StepNode;
}

function sameStep(a: ActorStep, b: ActorStep): boolean {
  if (a.op !== b.op) return false;
  switch (a.op) {
    case 'actor':
      return true;
    case 'proto':
      return a.base === (b as typeof a).base;
    case 'get':
    case 'has':
      return a.base === (b as typeof a).base && a.key === (b as typeof a).key;
    case 'call': {
      const other = b as typeof a;
      return (
        a.base === other.base &&
        a.key === other.key &&
        a.fn === other.fn &&
        a.args.length === other.args.length &&
        a.args.every((arg, i) => Object.is(arg, other.args[i]))
      );
    }
    case 'relation':
      return a.base === (b as typeof a).base && a.relation === (b as typeof a).relation;
  }
}

/** Whether every value a filter compares with is a primitive or a list of them. */
function holdsPlainValues(filter: Filter): boolean {
  const plain = (value: unknown): boolean =>
    Array.isArray(value)
      ? value.every(plain)
      : value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol');
  return filter.conditions.every((conditions) =>
    conditions.every(({ lhs, rhs }) => [lhs, rhs].every((side) => !('value' in side) || plain(side.value))),
  );
}

/** A remembered filter is shared by the requests that recall it: frozen, so that none can change it for the others. */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value) || value instanceof Map) return value;
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  return Object.freeze(value);
}
