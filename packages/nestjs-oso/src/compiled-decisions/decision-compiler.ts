/**
 * Turns the results of a partial evaluation of `allow(actor, action, resource)` into a JavaScript predicate over the
 * actor and the resource, made of closures (no `eval`). Each result is one way to be allowed (a conjunction of
 * constraints with local variables); the predicate is their disjunction.
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
import { Variable } from '../engine/oso-library.js';
import { Expression, Pattern, Predicate, Dict } from '../engine/oso-internals.js';
import { SINGLE } from './partial-evaluation.js';
import {
  AskEngine,
  checkValue,
  compare,
  isa,
  itemsOf,
  lookup,
  member,
  unify,
  type ComparisonOperator,
  type PolarClasses,
} from './polar-values.js';

/** A partial result the compiler does not translate; the engine keeps deciding for that triple. */
export class UnsupportedPolicy extends Error {}

type Term =
  | { t: 'const'; value: unknown }
  | { t: 'var'; name: string }
  | { t: 'dot'; base: Term; attribute: string }
  | { t: 'list'; items: Term[] }
  | { t: 'dict'; entries: Array<[string, Term]> };

type Constraint =
  | { c: 'unify'; left: Term; right: Term }
  | { c: 'compare'; operator: ComparisonOperator; left: Term; right: Term }
  | { c: 'in'; item: Term; collection: Term }
  | { c: 'isa'; term: Term; tag: string; fields: Array<[string, Term]> }
  | { c: 'not'; body: Constraint[] }
  | { c: 'or'; branches: Constraint[][] }
  | { c: 'and'; body: Constraint[] };

const COMPARISONS = new Set(['Eq', 'Neq', 'Lt', 'Leq', 'Gt', 'Geq']);
const ACTOR = 'actor';
const RESOURCE = 'resource';
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

/** The results of the `separate` form, parsed and checked, before the `single` form is asked for. */
export interface PreparedDecision {
  conjunctions: Constraint[][];
  /** No local variable and no negation: the `single` form can be asked for the engine's order. */
  orderable: boolean;
}

/** A compiled decision for one (actor class, action, resource class). */
export interface CompiledPredicate {
  /** True when allowed; throws `AskEngine` when only the engine can answer. */
  evaluate(actor: unknown, resource: unknown): boolean;
  /** The ways to be allowed, in Polar-like syntax (empty: never allowed). */
  rules: string[];
  /** How each way is evaluated (see the file comment). */
  mode: 'ordered' | 'exhaustive';
}

type Evaluator = (env: unknown[]) => boolean;
type Getter = (env: unknown[]) => unknown;

/**
 * Parses and checks the results of the `separate` form.
 *
 * @throws {UnsupportedPolicy} when a result uses something outside the compiled subset.
 */
export function prepareDecision(separate: Array<Map<string, unknown>>, context: CompileContext): PreparedDecision {
  const conjunctions = separate.map(conjunctionOf);
  let orderable = true;
  for (const conjunction of conjunctions) {
    const local = conjunction.some((constraint) => [...variablesOf(constraint)].some((name) => name !== ACTOR && name !== RESOURCE));
    // The partial evaluator's negation of existential variables does not keep the policy's meaning.
    if (context.negation && local && conjunction.some(negates)) throw new UnsupportedPolicy('`not` over a variable bound inside the rule');
    // The `single` form crashes the engine's query on these shapes (a panic inside the WebAssembly module).
    if (local || conjunction.some(negates) || context.negation) orderable = false;
  }
  // Compiled to check the constraints before the `single` form is asked for.
  compileConjunctions(conjunctions, context, 'exhaustive');
  return { conjunctions, orderable };
}

/**
 * Compiles the constraints of the `separate` form into a predicate: in the order of the `single` form when it is
 * given and holds the same constraints, exhaustively otherwise.
 *
 * @throws {UnsupportedPolicy} when a result uses something outside the compiled subset.
 */
export function compileDecision(
  prepared: PreparedDecision,
  single: Array<Map<string, unknown>> | undefined,
  context: CompileContext,
): CompiledPredicate {
  const ordered = single && inEngineOrder(prepared, single);
  return ordered ? compileConjunctions(ordered, context, 'ordered') : compileConjunctions(prepared.conjunctions, context, 'exhaustive');
}

/** The conjunctions of the `single` form, if they are those of the `separate` form (in some order). */
function inEngineOrder(prepared: PreparedDecision, single: Array<Map<string, unknown>>): Constraint[][] | undefined {
  let ordered: Constraint[][];
  try {
    ordered = single.map(conjunctionOfSingle);
  } catch {
    return undefined;
  }
  const unmatched = prepared.conjunctions.map(signature);
  for (const conjunction of ordered) {
    const index = unmatched.indexOf(signature(conjunction));
    if (index === -1) return undefined;
    unmatched.splice(index, 1);
  }
  return unmatched.length === 0 ? ordered : undefined;
}

function compileConjunctions(conjunctions: Constraint[][], context: CompileContext, mode: CompiledPredicate['mode']): CompiledPredicate {
  const compiler = new Compiler(context, mode === 'exhaustive');
  const disjuncts = conjunctions.map((conjunction) => compiler.disjunct(conjunction));
  const size = compiler.size;
  const rules = conjunctions.map((conjunction) => (conjunction.length ? conjunction.map(show).join(' and ') : 'true'));
  if (disjuncts.length === 0) return { evaluate: () => false, rules, mode };
  const evaluate = (actor: unknown, resource: unknown): boolean => {
    // The engine receives them as it receives any value (a Promise is awaited, a huge integer rejected...).
    checkValue(actor);
    checkValue(resource);
    const env: unknown[] = new Array(size).fill(UNSET);
    env[0] = actor;
    env[1] = resource;
    // Every way is tried, so that a lookup the engine could fail on is never skipped (see the file comment).
    let allowed = false;
    for (const disjunct of disjuncts) if (disjunct(env)) allowed = true;
    return allowed;
  };
  return { evaluate, rules, mode };
}

/** One result as one conjunction: the constraints of both bindings, `_this` renamed, each constraint once. */
function conjunctionOf(result: Map<string, unknown>): Constraint[] {
  const constraints: Constraint[] = [];
  const seen = new Set<string>();
  for (const name of [ACTOR, RESOURCE]) {
    if (!result.has(name)) continue;
    const value = result.get(name);
    let own: Constraint[];
    if (value instanceof Expression) own = flatten(parseConstraint(value, name));
    else if (value instanceof Variable) own = value.name === name || value.name === '_this' ? [] : [unifyVariables(name, value.name)];
    else own = [{ c: 'unify', left: { t: 'var', name }, right: parseTerm(value, name) }];
    for (const constraint of own) {
      const key = keyOf(constraint);
      if (seen.has(key)) continue;
      seen.add(key);
      constraints.push(constraint);
    }
  }
  for (const name of result.keys()) if (name !== ACTOR && name !== RESOURCE) throw new UnsupportedPolicy(`an unexpected binding of ${name}`);
  return constraints;
}

/** One result of the `single` form as one conjunction: `x.actor` and `x.resource` become `actor` and `resource`. */
function conjunctionOfSingle(result: Map<string, unknown>): Constraint[] {
  for (const name of result.keys()) if (name !== SINGLE) throw new UnsupportedPolicy(`an unexpected binding of ${name}`);
  const value = result.get(SINGLE);
  if (value === undefined || value instanceof Variable) return [];
  if (!(value instanceof Expression)) throw new UnsupportedPolicy('the query variable bound to a value');
  const constraints: Constraint[] = [];
  const seen = new Set<string>();
  for (const constraint of flatten(parseConstraint(value, SINGLE))) {
    const key = keyOf(constraint);
    if (seen.has(key)) continue;
    seen.add(key);
    constraints.push(constraint);
  }
  return constraints;
}

/** The constraints of a conjunction, as a set, with local variables anonymous (their names differ between forms). */
function signature(conjunction: Constraint[]): string {
  const keys = new Set(conjunction.map((constraint) => keyOf(constraint, true)));
  return JSON.stringify([...keys].sort());
}

function unifyVariables(a: string, b: string): Constraint {
  return { c: 'unify', left: { t: 'var', name: a }, right: { t: 'var', name: b } };
}

function flatten(constraint: Constraint): Constraint[] {
  return constraint.c === 'and' ? constraint.body.flatMap(flatten) : [constraint];
}

function parseConstraint(value: unknown, self: string): Constraint {
  if (!(value instanceof Expression)) throw new UnsupportedPolicy(`a constraint that is not an expression (${show0(value)})`);
  const args = value.args;
  switch (value.operator) {
    case 'And':
      return { c: 'and', body: args.flatMap((arg) => flatten(parseConstraint(arg, self))) };
    case 'Or':
      return { c: 'or', branches: args.map((arg) => flatten(parseConstraint(arg, self))) };
    case 'Not':
      return { c: 'not', body: flatten(parseConstraint(args[0], self)) };
    case 'Unify':
      return { c: 'unify', left: parseTerm(args[0], self), right: parseTerm(args[1], self) };
    case 'In':
      return { c: 'in', item: parseTerm(args[0], self), collection: parseTerm(args[1], self) };
    case 'Isa': {
      const pattern = args[1];
      if (!(pattern instanceof Pattern) || typeof pattern.tag !== 'string') throw new UnsupportedPolicy('a `matches` without a class');
      const fields = pattern.fields instanceof Dict || (pattern.fields && typeof pattern.fields === 'object') ? Object.entries(pattern.fields) : [];
      return {
        c: 'isa',
        term: parseTerm(args[0], self),
        tag: pattern.tag,
        fields: fields.map(([key, field]) => [key, parseTerm(field, self)] as [string, Term]),
      };
    }
    default:
      if (COMPARISONS.has(value.operator)) {
        return { c: 'compare', operator: value.operator as ComparisonOperator, left: parseTerm(args[0], self), right: parseTerm(args[1], self) };
      }
      throw new UnsupportedPolicy(`the Polar operation ${value.operator}`);
  }
}

function parseTerm(value: unknown, self: string): Term {
  if (value instanceof Variable) {
    const name = value.name === '_this' ? self : value.name;
    if (name === SINGLE) throw new UnsupportedPolicy('the query variable itself as a value');
    return { t: 'var', name };
  }
  if (value instanceof Expression) {
    if (value.operator !== 'Dot') throw new UnsupportedPolicy(`the Polar operation ${value.operator} in a value`);
    const [base, attribute] = value.args;
    if (typeof attribute !== 'string') throw new UnsupportedPolicy('a method call');
    // In the `single` form, `x.actor` and `x.resource` are the actor and the resource.
    if (base instanceof Variable && (base.name === SINGLE || (base.name === '_this' && self === SINGLE))) {
      if (attribute !== ACTOR && attribute !== RESOURCE) throw new UnsupportedPolicy(`x.${attribute}`);
      return { t: 'var', name: attribute };
    }
    return { t: 'dot', base: parseTerm(base, self), attribute };
  }
  if (value instanceof Pattern) throw new UnsupportedPolicy('a pattern as a value');
  if (value instanceof Predicate) throw new UnsupportedPolicy('a method call');
  if (typeof value === 'function') throw new UnsupportedPolicy('a class or function as a value');
  if (Array.isArray(value)) {
    const items = value.map((item) => parseTerm(item, self));
    return items.every((item) => item.t === 'const') ? { t: 'const', value } : { t: 'list', items };
  }
  if (value instanceof Dict) {
    const entries = Object.entries(value).map(([key, item]) => [key, parseTerm(item, self)] as [string, Term]);
    return entries.every(([, item]) => item.t === 'const') ? { t: 'const', value } : { t: 'dict', entries };
  }
  return { t: 'const', value };
}

class Compiler {
  /** Slots: 0 actor, 1 resource, then local variables and remembered lookups. */
  size = 2;
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
    ]);
    const body = this.conjunction(conjunction, new Set([ACTOR, RESOURCE]), slots);
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
    for (const constraint of constraints) if (constraint.c !== 'not' && constraint.c !== 'or') for (const name of variablesOf(constraint)) own.add(name);

    type Step = { kind: 'test'; test: Evaluator } | { kind: 'in'; slot: number; collection: Getter } | { kind: 'bind'; slot: number; value: Getter };
    const steps: Step[] = [];
    const pending = [...constraints];
    while (pending.length > 0) {
      // Exhaustively, tests come before loops, so that no test is skipped by a loop over nothing.
      let index = this.exhaustive ? pending.findIndex((constraint) => !this.binder(constraint, bound) && this.ready(constraint, bound, own)) : -1;
      if (index === -1) index = pending.findIndex((constraint) => this.ready(constraint, bound, own));
      if (index === -1) throw new UnsupportedPolicy(`a variable the compiled check cannot bind (${pending.map(show).join(' and ')})`);
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
    if (constraint.c === 'not' || constraint.c === 'or') return [...needed].every((name) => bound.has(name) || !own.has(name));
    return [...needed].every((name) => bound.has(name));
  }

  private binder(constraint: Constraint, bound: Set<string>): { kind: 'in' | 'bind'; name: string; source: Term } | undefined {
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
        if (this.mayBeBare(constraint)) return (env) => unify(bareCondition(left(env)), bareCondition(right(env)), negation);
        return (env) => unify(left(env), right(env), negation);
      }
      case 'compare': {
        const left = this.term(constraint.left, slots);
        const right = this.term(constraint.right, slots);
        const operator = constraint.operator;
        if (this.mayBeBare(constraint)) return (env) => compare(operator, bareCondition(left(env)), bareCondition(right(env)), negation);
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
        if (![...termVariables(term)].every((name) => name === ACTOR || name === RESOURCE)) {
          return (env) => lookup(base(env), attribute, classes);
        }
        // Paths from the actor and the resource are looked up once per decision.
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

function negates(constraint: Constraint): boolean {
  switch (constraint.c) {
    case 'not':
    case 'or':
      return true;
    case 'and':
      return constraint.body.some(negates);
    default:
      return false;
  }
}

/** The paths from the actor or the resource a constraint reads, with their prefixes, at any depth. */
function groundPaths(constraint: Constraint): Array<Extract<Term, { t: 'dot' }>> {
  const paths: Array<Extract<Term, { t: 'dot' }>> = [];
  const visit = (term: Term) => {
    if (term.t === 'dot') {
      if ([...termVariables(term)].every((name) => name === ACTOR || name === RESOURCE)) paths.push(term);
      visit(term.base);
    } else if (term.t === 'list') term.items.forEach(visit);
    else if (term.t === 'dict') term.entries.forEach(([, item]) => visit(item));
  };
  switch (constraint.c) {
    case 'unify':
    case 'compare':
      visit(constraint.left);
      visit(constraint.right);
      break;
    case 'in':
      visit(constraint.item);
      visit(constraint.collection);
      break;
    case 'isa':
      visit(constraint.term);
      constraint.fields.forEach(([, field]) => visit(field));
      break;
    case 'not':
    case 'and':
      return constraint.body.flatMap(groundPaths);
    case 'or':
      return constraint.branches.flat().flatMap(groundPaths);
  }
  return paths;
}

function variablesOf(constraint: Constraint): Set<string> {
  const names = new Set<string>();
  const add = (term: Term) => termVariables(term).forEach((name) => names.add(name));
  switch (constraint.c) {
    case 'unify':
    case 'compare':
      add(constraint.left);
      add(constraint.right);
      break;
    case 'in':
      add(constraint.item);
      add(constraint.collection);
      break;
    case 'isa':
      add(constraint.term);
      constraint.fields.forEach(([, field]) => add(field));
      break;
    case 'not':
    case 'and':
      constraint.body.forEach((inner) => variablesOf(inner).forEach((name) => names.add(name)));
      break;
    case 'or':
      constraint.branches.flat().forEach((inner) => variablesOf(inner).forEach((name) => names.add(name)));
      break;
  }
  return names;
}

function termVariables(term: Term): Set<string> {
  switch (term.t) {
    case 'var':
      return new Set([term.name]);
    case 'dot':
      return termVariables(term.base);
    case 'list':
      return new Set(term.items.flatMap((item) => [...termVariables(item)]));
    case 'dict':
      return new Set(term.entries.flatMap(([, item]) => [...termVariables(item)]));
    default:
      return new Set();
  }
}

const identities = new WeakMap<object, number>();
let identityCount = 0;

/** A structural key; constants that are objects count by identity; local variables by name, or anonymous. */
function keyOf(constraint: Constraint, anonymous = false): string {
  return JSON.stringify(constraint, (_key, value: unknown) => {
    if (anonymous && value && typeof value === 'object' && (value as Term).t === 'var') {
      const name = (value as { name: string }).name;
      return name === ACTOR || name === RESOURCE ? value : { t: 'var', name: '?' };
    }
    if (value === undefined) return '#undefined';
    if (typeof value === 'number' && !Number.isFinite(value)) return `#${value}`;
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) {
      if (!identities.has(value)) identities.set(value, ++identityCount);
      return `#object${identities.get(value)}`;
    }
    return value;
  });
}

const SYMBOLS: Record<ComparisonOperator, string> = { Eq: '==', Neq: '!=', Lt: '<', Leq: '<=', Gt: '>', Geq: '>=' };

function show(constraint: Constraint): string {
  switch (constraint.c) {
    case 'unify':
      return `${showTerm(constraint.left)} = ${showTerm(constraint.right)}`;
    case 'compare':
      return `${showTerm(constraint.left)} ${SYMBOLS[constraint.operator]} ${showTerm(constraint.right)}`;
    case 'in':
      return `${showTerm(constraint.item)} in ${showTerm(constraint.collection)}`;
    case 'isa': {
      const fields = constraint.fields.map(([key, field]) => `${key}: ${showTerm(field)}`).join(', ');
      return `${showTerm(constraint.term)} matches ${constraint.tag}${fields ? `{${fields}}` : ''}`;
    }
    case 'not':
      return `not (${constraint.body.map(show).join(' and ')})`;
    case 'or':
      return `(${constraint.branches.map((branch) => branch.map(show).join(' and ')).join(' or ')})`;
    case 'and':
      return constraint.body.map(show).join(' and ');
  }
}

function showTerm(term: Term): string {
  switch (term.t) {
    case 'const':
      return show0(term.value);
    case 'var':
      return term.name.replace(/^_(.*?)(_\d+)?$/, '$1') || term.name;
    case 'dot':
      return `${showTerm(term.base)}.${term.attribute}`;
    case 'list':
      return `[${term.items.map(showTerm).join(', ')}]`;
    case 'dict':
      return `{${term.entries.map(([key, item]) => `${key}: ${showTerm(item)}`).join(', ')}}`;
  }
}

function show0(value: unknown): string {
  if (value === null) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(show0).join(', ')}]`;
  if (value instanceof Dict) return `{${Object.entries(value).map(([key, item]) => `${key}: ${show0(item)}`).join(', ')}}`;
  if (value && typeof value === 'object') return `<${(value as object).constructor?.name ?? 'object'}>`;
  return String(value);
}
