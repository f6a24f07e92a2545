/**
 * The predicate compiler: turns conjunctions of constraints into a JavaScript predicate over the actor, the
 * resource and (for `allow_field`) the field, made of closures (no `eval`). Each conjunction is one way to be allowed (one result of the partial
 * evaluation, with local variables); the predicate is their disjunction.
 *
 * The constraints come from the `separate` form of the partial query, which gets them right (see `PartialForm`).
 * Any lookup or comparison that fails makes the engine decide (`AskEngine`): the engine fails the same check with an
 * error when it reaches that point, and whether it reaches it depends on the order it evaluates in, which the
 * compiled check must not guess. So every result is evaluated, not only up to the first that allows, and within a
 * result:
 * - `ordered`: when no result has a local variable and the policy no `not`, the `single` form gives the engine's order,
 *   once it is shown to hold the same constraints. Constraints then run in that order and stop at the first that
 *   fails, as the engine does; only paths the policy binds to a variable or passes to a rule
 *   (`PolicyFeatures.aliased`) are looked up first, since the engine looks those up where they are bound.
 * - `exhaustive`: otherwise, every constraint is evaluated for every binding of the local variables, so that any
 *   lookup the engine could make, in whatever order, has been made without error before the compiled check answers.
 */
import { Dict } from '../engine/oso-internals.js';
import {
  ACTOR,
  FIELD,
  groundPaths,
  isArgument,
  RESOURCE,
  showConstraint,
  showTerm,
  termVariables,
  UnsupportedPolicy,
  variablesOf,
  type Constraint,
  type Term,
} from './constraint-model.js';
import {
  AskEngine,
  checkValue,
  compare,
  isa,
  itemsOf,
  lookup,
  member,
  unify,
  type PolarClasses,
} from './polar-values.js';

const UNSET: unique symbol = Symbol('unset');

/** What the compiler needs to know beyond the results. */
export interface CompileContext {
  classes: PolarClasses;
  /** The policy uses `not`: comparisons may be rewritten negations (see `PolicyFeatures.negation`). */
  negation: boolean;
  /** Attributes the policy binds paths ending in (see `PolicyFeatures.aliased`). */
  aliased: ReadonlySet<string>;
  /** The policy has bare conditions (see `PolicyFeatures.bareConditions`). */
  bareConditions: boolean;
}

/** A compiled decision for one (actor class, action, resource class). */
export interface CompiledPredicate {
  /** True when allowed; throws `AskEngine` when only the engine can answer. `field` is `allow_field`'s. */
  evaluate(actor: unknown, resource: unknown, field?: unknown): boolean;
  /** The ways to be allowed, in Polar-like syntax (empty: never allowed). */
  rules: string[];
  /** How each way is evaluated (see the file comment). */
  mode: 'ordered' | 'exhaustive';
}

type Evaluator = (env: unknown[]) => boolean;
type Getter = (env: unknown[]) => unknown;

/** The predicate of the conjunctions, evaluated in order or exhaustively (see the file comment). */
export function compileConjunctions(
  conjunctions: Constraint[][],
  context: CompileContext,
  mode: CompiledPredicate['mode'],
): CompiledPredicate {
  const compiler = new Compiler(context, mode === 'exhaustive');
  const disjuncts = conjunctions.map((conjunction) => compiler.disjunct(conjunction));
  const size = compiler.size;
  const rules = conjunctions.map((conjunction) =>
    conjunction.length ? conjunction.map(showConstraint).join(' and ') : 'true',
  );
  if (disjuncts.length === 0) return { evaluate: () => false, rules, mode };
  const evaluate = (actor: unknown, resource: unknown, field?: unknown): boolean => {
    // The engine receives them as it receives any value (a Promise is awaited, a huge integer rejected...).
    checkValue(actor);
    checkValue(resource);
    checkValue(field);
    const env: unknown[] = new Array(size).fill(UNSET);
    env[0] = actor;
    env[1] = resource;
    env[2] = field;
    // Every way is tried, so that a lookup the engine could fail on is never skipped (see the file comment).
    let allowed = false;
    for (const disjunct of disjuncts) if (disjunct(env)) allowed = true;
    return allowed;
  };
  return { evaluate, rules, mode };
}

class Compiler {
  /** Slots: 0 actor, 1 resource, 2 field, then local variables and remembered lookups. */
  size = 3;
  private readonly memo = new Map<string, number>();

  constructor(
    private readonly context: CompileContext,
    /** Evaluate every constraint for every binding instead of stopping at the first that fails. */
    private readonly exhaustive: boolean,
  ) {}

  disjunct(conjunction: Constraint[]): Evaluator {
    const slots = new Map<string, number>([
      [ACTOR, 0],
      [RESOURCE, 1],
      [FIELD, 2],
    ]);
    const body = this.conjunction(conjunction, new Set([ACTOR, RESOURCE, FIELD]), slots);
    // Exhaustively, every path from the actor and the resource is looked up first, even those only used inside a
    // loop; in order, the paths the policy binds to a variable, which the engine looks up where it binds them.
    const paths = new Map<string, Term>();
    for (const path of conjunction.flatMap(groundPaths)) {
      if (this.exhaustive || this.context.aliased.has(path.attribute)) paths.set(showTerm(path), path);
    }
    const early = [...paths.values()].map((path) => this.term(path, slots));
    if (early.length === 0) return body;
    return (env) => {
      for (const path of early) path(env);
      return body(env);
    };
  }

  /** A conjunction, in the recorded order, binding variables by `in` and `=` as they come. */
  private conjunction(constraints: Constraint[], entry: Set<string>, outerSlots: Map<string, number>): Evaluator {
    const slots = new Map(outerSlots);
    const bound = new Set(entry);
    // Variables some constraint of this conjunction mentions outside a `not`/`or` belong to this level.
    const own = new Set(entry);
    for (const constraint of constraints)
      if (constraint.c !== 'not' && constraint.c !== 'or') for (const name of variablesOf(constraint)) own.add(name);

    type Step =
      | { kind: 'test'; test: Evaluator }
      | { kind: 'in'; slot: number; collection: Getter }
      | { kind: 'bind'; slot: number; value: Getter };
    const steps: Step[] = [];
    const pending = [...constraints];
    while (pending.length > 0) {
      // Exhaustively, tests come before loops, so that no test is skipped by a loop over nothing.
      let index = this.exhaustive
        ? pending.findIndex((constraint) => !this.binder(constraint, bound) && this.ready(constraint, bound, own))
        : -1;
      if (index === -1) index = pending.findIndex((constraint) => this.ready(constraint, bound, own));
      if (index === -1)
        throw new UnsupportedPolicy(
          `a variable the compiled check cannot bind (${pending.map(showConstraint).join(' and ')})`,
        );
      const [constraint] = pending.splice(index, 1) as [Constraint];
      const binder = this.binder(constraint, bound);
      if (binder) {
        const slot = this.size++;
        slots.set(binder.name, slot);
        bound.add(binder.name);
        steps.push(
          binder.kind === 'in'
            ? { kind: 'in', slot, collection: this.term(binder.source, slots) }
            : { kind: 'bind', slot, value: this.term(binder.source, slots) },
        );
      } else {
        steps.push({ kind: 'test', test: this.test(constraint, bound, slots) });
      }
    }

    const exhaustive = this.exhaustive;
    let next: Evaluator = () => true;
    for (const step of steps.reverse()) {
      const rest = next;
      if (step.kind === 'test') {
        const test = step.test;
        next = exhaustive
          ? (env) => {
              const passed = test(env);
              return rest(env) && passed;
            }
          : (env) => test(env) && rest(env);
      } else if (step.kind === 'in') {
        const { slot, collection } = step;
        next = (env) => {
          let found = false;
          for (const item of itemsOf(collection(env))) {
            env[slot] = item;
            if (rest(env)) {
              if (!exhaustive) return true;
              found = true;
            }
          }
          return found;
        };
      } else {
        const { slot, value } = step;
        next = (env) => {
          env[slot] = value(env);
          return rest(env);
        };
      }
    }
    return next;
  }

  /** Whether a constraint can run now: a test over bound variables, or a binder of one unbound variable. */
  private ready(constraint: Constraint, bound: Set<string>, own: Set<string>): boolean {
    if (this.binder(constraint, bound)) return true;
    const needed = variablesOf(constraint);
    if (constraint.c === 'not' || constraint.c === 'or')
      return [...needed].every((name) => bound.has(name) || !own.has(name));
    return [...needed].every((name) => bound.has(name));
  }

  private binder(
    constraint: Constraint,
    bound: Set<string>,
  ): { kind: 'in' | 'bind'; name: string; source: Term } | undefined {
    const unboundVariable = (term: Term) => (term.t === 'var' && !bound.has(term.name) ? term.name : undefined);
    const groundIn = (term: Term) => [...termVariables(term)].every((name) => bound.has(name));
    if (constraint.c === 'in') {
      const name = unboundVariable(constraint.item);
      if (name && groundIn(constraint.collection)) return { kind: 'in', name, source: constraint.collection };
    }
    if (constraint.c === 'unify') {
      const left = unboundVariable(constraint.left);
      const right = unboundVariable(constraint.right);
      if (left && !right && groundIn(constraint.right)) return { kind: 'bind', name: left, source: constraint.right };
      if (right && !left && groundIn(constraint.left)) return { kind: 'bind', name: right, source: constraint.left };
    }
    return undefined;
  }

  private test(constraint: Constraint, bound: Set<string>, slots: Map<string, number>): Evaluator {
    const { negation, classes } = this.context;
    switch (constraint.c) {
      case 'unify': {
        const left = this.term(constraint.left, slots);
        const right = this.term(constraint.right, slots);
        if (this.mayBeBare(constraint))
          return (env) => unify(bareCondition(left(env)), bareCondition(right(env)), negation);
        return (env) => unify(left(env), right(env), negation);
      }
      case 'compare': {
        const left = this.term(constraint.left, slots);
        const right = this.term(constraint.right, slots);
        const operator = constraint.operator;
        if (this.mayBeBare(constraint))
          return (env) => compare(operator, bareCondition(left(env)), bareCondition(right(env)), negation);
        return (env) => compare(operator, left(env), right(env), negation);
      }
      case 'in': {
        const item = this.term(constraint.item, slots);
        const collection = this.term(constraint.collection, slots);
        return (env) => member(item(env), collection(env), negation);
      }
      case 'isa': {
        const term = this.term(constraint.term, slots);
        const tag = constraint.tag;
        const fields = constraint.fields.map(([key, field]) => [key, this.term(field, slots)] as const);
        if (fields.length === 0) return (env) => isa(term(env), tag, classes);
        const exhaustive = this.exhaustive;
        return (env) => {
          const value = term(env);
          let passed = isa(value, tag, classes);
          if (!passed && !exhaustive) return false;
          for (const [key, field] of fields) {
            if (!unify(lookup(value, key, classes), field(env), negation)) {
              if (!exhaustive) return false;
              passed = false;
            }
          }
          return passed;
        };
      }
      case 'not': {
        const body = this.conjunction(constraint.body, bound, slots);
        return (env) => !body(env);
      }
      case 'or': {
        const branches = constraint.branches.map((branch) => this.conjunction(branch, bound, slots));
        const exhaustive = this.exhaustive;
        return (env) => {
          let passed = false;
          for (const branch of branches) {
            if (branch(env)) {
              if (!exhaustive) return true;
              passed = true;
            }
          }
          return passed;
        };
      }
      case 'and':
        return this.conjunction(constraint.body, bound, slots);
    }
  }

  /** `true = x` (or `true != x`) may be the partial evaluator's writing of the bare condition `x` (or `not x`). */
  private mayBeBare(constraint: Extract<Constraint, { c: 'unify' | 'compare' }>): boolean {
    if (!this.context.bareConditions) return false;
    if (constraint.c === 'compare' && constraint.operator !== 'Neq') return false;
    const boolean = (term: Term) => term.t === 'const' && typeof term.value === 'boolean';
    return boolean(constraint.left) || boolean(constraint.right);
  }

  private term(term: Term, slots: Map<string, number>): Getter {
    const { classes } = this.context;
    switch (term.t) {
      case 'const': {
        const value = term.value;
        return () => value;
      }
      case 'var': {
        const slot = slots.get(term.name);
        if (slot === undefined) throw new UnsupportedPolicy(`the unbound variable ${term.name}`);
        return (env) => env[slot];
      }
      case 'dot': {
        const base = this.term(term.base, slots);
        const attribute = term.attribute;
        if (![...termVariables(term)].every(isArgument)) {
          return (env) => lookup(base(env), attribute, classes);
        }
        // Paths from the decision's arguments are looked up once per decision.
        const key = showTerm(term);
        let slot = this.memo.get(key);
        if (slot === undefined) this.memo.set(key, (slot = this.size++));
        const memo = slot;
        return (env) => {
          let value = env[memo];
          if (value === UNSET) value = env[memo] = lookup(base(env), attribute, classes);
          return value;
        };
      }
      case 'list': {
        const items = term.items.map((item) => this.term(item, slots));
        return (env) => items.map((item) => item(env));
      }
      case 'dict': {
        const entries = term.entries.map(([key, item]) => [key, this.term(item, slots)] as const);
        return (env) => new Dict(Object.fromEntries(entries.map(([key, item]) => [key, item(env)])));
      }
    }
  }
}

const ASK_BARE = new AskEngine('a bare condition on a value that is not a boolean (the engine fails on it)');

/** A value a bare condition may test: the engine fails on anything but a boolean. */
function bareCondition(value: unknown): unknown {
  if (typeof value !== 'boolean') throw ASK_BARE;
  return value;
}
