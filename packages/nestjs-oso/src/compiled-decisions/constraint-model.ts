/**
 * The constraint model of compiled decisions: what one way to be allowed is made of, once read from the engine's
 * partial results (see `constraint-parser.ts`). Terms are constants, variables (`actor`, `resource` and the rule's
 * local variables), attribute paths, lists and dicts; constraints are Polar's unifications, comparisons, `in`,
 * `matches`, `not`, `or` and `and` over them. Printed with the one Polar printer (`engine/polar-printer.ts`).
 */
import type { ComparisonOperator } from './polar-values.js';
import { polarOperator, printPolarValue, printPolarVariable } from '../engine/polar-printer.js';

/** A partial result the compiler does not translate; the engine keeps deciding for that triple. */
export class UnsupportedPolicy extends Error {}

/** A value in a constraint. */
export type Term =
  | { t: 'const'; value: unknown }
  | { t: 'var'; name: string }
  | { t: 'dot'; base: Term; attribute: string }
  | { t: 'list'; items: Term[] }
  | { t: 'dict'; entries: Array<[string, Term]> };

/** One condition of a way to be allowed. */
export type Constraint =
  | { c: 'unify'; left: Term; right: Term }
  | { c: 'compare'; operator: ComparisonOperator; left: Term; right: Term }
  | { c: 'in'; item: Term; collection: Term }
  | { c: 'isa'; term: Term; tag: string; fields: Array<[string, Term]> }
  | { c: 'not'; body: Constraint[] }
  | { c: 'or'; branches: Constraint[][] }
  | { c: 'and'; body: Constraint[] };

/** An attribute path (`resource.organization.id`). */
export type DotTerm = Extract<Term, { t: 'dot' }>;

/** The names of the actor, the resource and (for `allow_field`) the field in constraints. */
export const ACTOR = 'actor';
export const RESOURCE = 'resource';
export const FIELD = 'field';

/** Whether a variable is one of the decision's arguments (not a local variable of a rule). */
export function isArgument(name: string): boolean {
  return name === ACTOR || name === RESOURCE || name === FIELD;
}

/** `a = b` between two variables. */
export function unifyVariables(a: string, b: string): Constraint {
  return { c: 'unify', left: { t: 'var', name: a }, right: { t: 'var', name: b } };
}

/** The constraints of a conjunction, `and` taken apart. */
export function flatten(constraint: Constraint): Constraint[] {
  return constraint.c === 'and' ? constraint.body.flatMap(flatten) : [constraint];
}

/** Whether a constraint holds a `not` or an `or`. */
export function negates(constraint: Constraint): boolean {
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

/** The terms a constraint compares, at any depth (inside `not`, `or` and `and` too). */
function termsOf(constraint: Constraint): Term[] {
  switch (constraint.c) {
    case 'unify':
    case 'compare':
      return [constraint.left, constraint.right];
    case 'in':
      return [constraint.item, constraint.collection];
    case 'isa':
      return [constraint.term, ...constraint.fields.map(([, field]) => field)];
    case 'not':
    case 'and':
      return constraint.body.flatMap(termsOf);
    case 'or':
      return constraint.branches.flat().flatMap(termsOf);
  }
}

/** The paths from the decision's arguments a constraint reads, with their prefixes, at any depth. */
export function groundPaths(constraint: Constraint): DotTerm[] {
  const paths: DotTerm[] = [];
  const visit = (term: Term) => {
    if (term.t === 'dot') {
      if ([...termVariables(term)].every(isArgument)) paths.push(term);
      visit(term.base);
    } else if (term.t === 'list') term.items.forEach(visit);
    else if (term.t === 'dict') term.entries.forEach(([, item]) => visit(item));
  };
  termsOf(constraint).forEach(visit);
  return paths;
}

/** The variables a constraint mentions, at any depth. */
export function variablesOf(constraint: Constraint): Set<string> {
  return new Set(termsOf(constraint).flatMap((term) => [...termVariables(term)]));
}

/** The variables a term mentions. */
export function termVariables(term: Term): Set<string> {
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
export function keyOf(constraint: Constraint, anonymous = false): string {
  return JSON.stringify(constraint, (_key, value: unknown) => {
    if (anonymous && value && typeof value === 'object' && (value as Term).t === 'var') {
      const name = (value as { name: string }).name;
      return isArgument(name) ? value : { t: 'var', name: '?' };
    }
    if (value === undefined) return '#undefined';
    if (typeof value === 'number' && !Number.isFinite(value)) return `#${value}`;
    if (
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      Object.getPrototypeOf(value) !== Object.prototype
    ) {
      if (!identities.has(value)) identities.set(value, ++identityCount);
      return `#object${identities.get(value)}`;
    }
    return value;
  });
}

/** A constraint in Polar syntax, as `CompiledDecisionInfo.rules` shows it. */
export function showConstraint(constraint: Constraint): string {
  switch (constraint.c) {
    case 'unify':
      return `${showTerm(constraint.left)} ${polarOperator('Unify')} ${showTerm(constraint.right)}`;
    case 'compare':
      return `${showTerm(constraint.left)} ${polarOperator(constraint.operator)} ${showTerm(constraint.right)}`;
    case 'in':
      return `${showTerm(constraint.item)} ${polarOperator('In')} ${showTerm(constraint.collection)}`;
    case 'isa': {
      const fields = constraint.fields.map(([key, field]) => `${key}: ${showTerm(field)}`).join(', ');
      return `${showTerm(constraint.term)} ${polarOperator('Isa')} ${constraint.tag}${fields ? `{${fields}}` : ''}`;
    }
    case 'not':
      return `not (${constraint.body.map(showConstraint).join(' and ')})`;
    case 'or':
      return `(${constraint.branches.map((branch) => branch.map(showConstraint).join(' and ')).join(' or ')})`;
    case 'and':
      return constraint.body.map(showConstraint).join(' and ');
  }
}

/** A term in Polar syntax. */
export function showTerm(term: Term): string {
  switch (term.t) {
    case 'const':
      return printPolarValue(term.value);
    case 'var':
      return printPolarVariable(term.name);
    case 'dot':
      return `${showTerm(term.base)}.${term.attribute}`;
    case 'list':
      return `[${term.items.map(showTerm).join(', ')}]`;
    case 'dict':
      return `{${term.entries.map(([key, item]) => `${key}: ${showTerm(item)}`).join(', ')}}`;
  }
}
