/**
 * The predicate compiler: turns conjunctions of constraints into a JavaScript predicate over the actor, the
 * resource and (for `allow_field`) the field: one function generated from the compiler's own templates (see
 * `Compiler.link`), so that V8 optimises each decision's code on its own, with the policy's attribute names as known
 * properties. Each conjunction is one way to be allowed (one result of the partial evaluation, with local
 * variables); the predicate is their disjunction.
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
import { Dict, Expression, Pattern, Predicate } from '../engine/oso-internals.js';
import { Variable } from '../engine/oso-library.js';
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
  checkList,
  hasWellFormed,
  missingAttribute,
  compare,
  isa,
  itemsOf,
  lookup,
  member,
  unify,
  type PolarClasses,
} from './polar-values.js';

const UNSET: unique symbol = Symbol('unset');

/** What the generated source reads besides the decision's arguments, the classes and the values (`K`). */
const HELPERS = {
  ...{ UNSET, checkValue, checkList, compare, isa, itemsOf, lookup, member, unify, missingAttribute },
  ...{ bareCondition, dictOf, Dict, Expression, Variable, Pattern, Predicate },
};

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

/** Code that leaves a boolean in `result` (a variable it declares), with what it needs run first. */
interface Block {
  code: string;
  result: string;
}

/** The predicate of the conjunctions, evaluated in order or exhaustively (see the file comment). */
export function compileConjunctions(
  conjunctions: Constraint[][],
  context: CompileContext,
  mode: CompiledPredicate['mode'],
): CompiledPredicate {
  const rules = conjunctions.map((conjunction) =>
    conjunction.length ? conjunction.map(showConstraint).join(' and ') : 'true',
  );
  if (conjunctions.length === 0) return { evaluate: () => false, rules, mode };
  const compiler = new Compiler(context, mode === 'exhaustive');
  const disjuncts = conjunctions.map((conjunction) => compiler.disjunct(conjunction));
  return { evaluate: compiler.link(disjuncts), rules, mode };
}

class Compiler {
  /** Slots: 0 actor, 1 resource, 2 field, then local variables and remembered lookups; each is a variable `s<n>`. */
  size = 3;
  private readonly memo = new Map<string, number>();
  /** Values the source reads by index (`K[i]`): constants that are not strings or booleans, classes. */
  private readonly values: unknown[] = [];
  /**
   * Exhaustively, the paths (by `showTerm`) already looked up where the code being written runs: their slots are read
   * as they are (see `disjunct`).
   */
  private readonly settled = new Set<string>();
  /** Temporaries of the source (`t<n>`), declared once at its top. */
  private temporaries = 0;
  /** Labels and block results of the source. */
  private names = 0;
  /** Attribute names some registered class has a data filtering relation under: always looked up by `lookup`. */
  private readonly relationNames: ReadonlySet<string>;

  constructor(
    private readonly context: CompileContext,
    /** Evaluate every constraint for every binding instead of stopping at the first that fails. */
    private readonly exhaustive: boolean,
  ) {
    this.relationNames = new Set([...context.classes.relations.values()].flatMap((byName) => [...byName.keys()]));
  }

  /**
   * The predicate: one JavaScript function for all the ways, built with `new Function` from the source the other
   * methods write. Only this compiler's own templates become code: every name and value of the policy enters it as
   * a JSON string literal or by index into `K`, so no policy text can change what the code does.
   */
  link(disjuncts: Block[]): CompiledPredicate['evaluate'] {
    const slots = Array.from({ length: this.size - 3 }, (_, i) => `, s${i + 3} = UNSET`).join('');
    const temporaries = Array.from({ length: this.temporaries }, (_, i) => `t${i}`);
    const source = [
      'return function evaluate(actor, resource, field) {',
      // The engine receives them as it receives any value (a Promise is awaited, a huge integer rejected...).
      `${checked('actor')}; ${checked('resource')}; ${checked('field')};`,
      `let s0 = actor, s1 = resource, s2 = field${slots};`,
      temporaries.length ? `let ${temporaries.join(', ')};` : '',
      'let allowed = false;',
      // Every way is tried, so that a lookup the engine could fail on is never skipped (see the file comment).
      ...disjuncts.map((disjunct) => `{\n${disjunct.code}\nif (${disjunct.result}) allowed = true;\n}`),
      'return allowed;',
      '};',
    ].join('\n');
    let factory: (helpers: typeof HELPERS, classes: PolarClasses, values: unknown[]) => CompiledPredicate['evaluate'];
    try {
      factory = new Function(
        'helpers',
        'classes',
        'K',
        `const { ${Object.keys(HELPERS).join(', ')} } = helpers;\n${source}`,
      ) as never;
    } catch (error) {
      // `node --disallow-code-generation-from-strings`: the engine decides.
      throw new UnsupportedPolicy(`code generation from strings is not allowed here (${(error as Error).message})`);
    }
    return factory(HELPERS, this.context.classes, this.values);
  }

  disjunct(conjunction: Constraint[]): Block {
    const slots = new Map<string, number>([
      [ACTOR, 0],
      [RESOURCE, 1],
      [FIELD, 2],
    ]);
    // Exhaustively, every path from the actor and the resource is looked up first, even those only used inside a
    // loop; in order, the paths the policy binds to a variable, which the engine looks up where it binds them.
    const paths = new Map<string, Term>();
    for (const path of conjunction.flatMap(groundPaths)) {
      if (this.exhaustive || this.context.aliased.has(path.attribute)) paths.set(showTerm(path), path);
    }
    const early: string[] = [];
    for (const [key, path] of paths) {
      if (this.exhaustive && this.settled.has(key)) continue;
      early.push(`${this.term(path, slots)};`);
      // Ways run one after the other at the top of the predicate, each only if the ones before ran without error: a
      // path looked up here is set for the rest of this way and for every later way.
      if (this.exhaustive) this.settled.add(key);
    }
    const body = this.conjunction(conjunction, new Set([ACTOR, RESOURCE, FIELD]), slots);
    return { code: [...early, body.code].join('\n'), result: body.result };
  }

  /** A conjunction, in the recorded order, binding variables by `in` and `=` as they come. */
  private conjunction(constraints: Constraint[], entry: Set<string>, outerSlots: Map<string, number>): Block {
    const slots = new Map(outerSlots);
    const bound = new Set(entry);
    // Variables some constraint of this conjunction mentions outside a `not`/`or` belong to this level.
    const own = new Set(entry);
    for (const constraint of constraints)
      if (constraint.c !== 'not' && constraint.c !== 'or') for (const name of variablesOf(constraint)) own.add(name);

    type Step =
      | { kind: 'test'; test: Block }
      | { kind: 'in'; slot: number; collection: string }
      | { kind: 'bind'; slot: number; value: string };
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

    const result = this.name('r');
    if (this.exhaustive) {
      // Every step runs for every binding; a binding allows when every test on its way passed.
      const rest = (i: number, passed: string[]): string => {
        const step = steps[i];
        if (!step) return passed.length ? `if (${passed.join(' && ')}) ${result} = true;` : `${result} = true;`;
        switch (step.kind) {
          case 'test':
            return `${step.test.code}\n${rest(i + 1, [...passed, step.test.result])}`;
          case 'in': {
            const item = this.name('i');
            return `for (const ${item} of itemsOf(${step.collection})) {\ns${step.slot} = ${item};\n${rest(i + 1, passed)}\n}`;
          }
          case 'bind':
            return `s${step.slot} = ${step.value};\n${rest(i + 1, passed)}`;
        }
      };
      return { code: `let ${result} = false;\n{\n${rest(0, [])}\n}`, result };
    }
    // In order: the first test that fails ends its way, and the first binding that allows ends the conjunction.
    const label = this.name('L');
    const rest = (i: number): string => {
      const step = steps[i];
      if (!step) return `${result} = true;\nbreak ${label};`;
      switch (step.kind) {
        case 'test':
          return `${step.test.code}\nif (${step.test.result}) {\n${rest(i + 1)}\n}`;
        case 'in': {
          const item = this.name('i');
          return `for (const ${item} of itemsOf(${step.collection})) {\ns${step.slot} = ${item};\n${rest(i + 1)}\n}`;
        }
        case 'bind':
          return `s${step.slot} = ${step.value};\n${rest(i + 1)}`;
      }
    };
    return { code: `let ${result} = false;\n${label}: {\n${rest(0)}\n}`, result };
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

  private test(constraint: Constraint, bound: Set<string>, slots: Map<string, number>): Block {
    const negation = String(this.context.negation);
    const expression = (code: string): Block => {
      const result = this.name('p');
      return { code: `const ${result} = ${code};`, result };
    };
    switch (constraint.c) {
      case 'unify': {
        const left = this.term(constraint.left, slots);
        const right = this.term(constraint.right, slots);
        if (this.mayBeBare(constraint))
          return expression(`unify(bareCondition(${left}), bareCondition(${right}), ${negation})`);
        return expression(`unify(${left}, ${right}, ${negation})`);
      }
      case 'compare': {
        const left = this.term(constraint.left, slots);
        const right = this.term(constraint.right, slots);
        const operator = JSON.stringify(constraint.operator);
        if (this.mayBeBare(constraint))
          return expression(`compare(${operator}, bareCondition(${left}), bareCondition(${right}), ${negation})`);
        return expression(`compare(${operator}, ${left}, ${right}, ${negation})`);
      }
      case 'in':
        return expression(
          `member(${this.term(constraint.item, slots)}, ${this.term(constraint.collection, slots)}, ${negation})`,
        );
      case 'isa': {
        const term = this.term(constraint.term, slots);
        if (constraint.fields.length === 0) return expression(this.isa(term, constraint.tag));
        const value = this.temporary();
        const result = this.name('p');
        const fields = constraint.fields.map(
          ([key, field]) => `unify(${this.lookup(value, key)}, ${this.term(field, slots)}, ${negation})`,
        );
        if (this.exhaustive) {
          const code = [
            `${value} = ${term};`,
            `let ${result} = ${this.isa(value, constraint.tag)};`,
            ...fields.map((field) => `if (!${field}) ${result} = false;`),
          ];
          return { code: code.join('\n'), result };
        }
        const label = this.name('L');
        const code = [
          `let ${result} = false;`,
          `${label}: {`,
          `${value} = ${term};`,
          `if (!${this.isa(value, constraint.tag)}) break ${label};`,
          ...fields.map((field) => `if (!${field}) break ${label};`),
          `${result} = true;`,
          '}',
        ];
        return { code: code.join('\n'), result };
      }
      case 'not': {
        const body = this.conjunction(constraint.body, bound, slots);
        const result = this.name('p');
        return { code: `${body.code}\nconst ${result} = !${body.result};`, result };
      }
      case 'or': {
        const branches = constraint.branches.map((branch) => this.conjunction(branch, bound, slots));
        const result = this.name('p');
        if (this.exhaustive) {
          const code = branches.map((branch) => `${branch.code}\nif (${branch.result}) ${result} = true;`);
          return { code: `let ${result} = false;\n${code.join('\n')}`, result };
        }
        const label = this.name('L');
        const code = branches.map(
          (branch) => `${branch.code}\nif (${branch.result}) {\n${result} = true;\nbreak ${label};\n}`,
        );
        return { code: `let ${result} = false;\n${label}: {\n${code.join('\n')}\n}`, result };
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

  /** An expression for a term's value. */
  private term(term: Term, slots: Map<string, number>): string {
    switch (term.t) {
      case 'const':
        return this.value(term.value);
      case 'var': {
        const slot = slots.get(term.name);
        if (slot === undefined) throw new UnsupportedPolicy(`the unbound variable ${term.name}`);
        return `s${slot}`;
      }
      case 'dot': {
        if (![...termVariables(term)].every(isArgument))
          return this.lookup(this.term(term.base, slots), term.attribute);
        // Paths from the decision's arguments are looked up once per decision.
        const key = showTerm(term);
        let slot = this.memo.get(key);
        if (slot === undefined) this.memo.set(key, (slot = this.size++));
        if (this.settled.has(key)) return `s${slot}`;
        const base = this.term(term.base, slots);
        return `(s${slot} !== UNSET ? s${slot} : (s${slot} = ${this.lookup(base, term.attribute)}))`;
      }
      case 'list':
        return `[${term.items.map((item) => this.term(item, slots)).join(', ')}]`;
      case 'dict': {
        const keys = this.value(term.entries.map(([key]) => key));
        return `dictOf(${keys}, [${term.entries.map(([, item]) => this.term(item, slots)).join(', ')}])`;
      }
    }
  }

  /**
   * `receiver.attribute` as `lookup` reads it. On an ordinary object (not a list, a dictionary or a primitive), for
   * an attribute no class has a data filtering relation under, the same steps written out at the place of use with
   * the name as a literal, so that V8 reads it as a known property of the objects met there. (Written out, not
   * called: V8 inlines only so much of the functions an optimised function calls.)
   */
  private lookup(receiver: string, attribute: string): string {
    const name = JSON.stringify(attribute);
    if (this.relationNames.has(attribute)) return `lookup(${receiver}, ${name}, classes)`;
    const object = this.temporary();
    const value = this.temporary();
    return (
      `(${object} = ${receiver}, typeof ${object} === 'object' && ${object} !== null && !Array.isArray(${object}) && ` +
      `!(${object} instanceof Dict) ? (${name} in ${object} ? (${value} = ${object}[${name}], ${checked(value)}, ` +
      `${value}) : missingAttribute()) : lookup(${object}, ${name}, classes))`
    );
  }

  /**
   * `value matches Tag` as `isa` answers it, first trying the common case: an instance of exactly the registered
   * class of the tag, which `isa` answers true from its ancestors.
   */
  private isa(value: string, tag: string): string {
    const generic = `isa(${value}, ${JSON.stringify(tag)}, classes)`;
    const { classes } = this.context;
    const type = classes.type(tag);
    if (!type || !classes.mro(type.cls).includes(type.id)) return generic;
    const object = this.temporary();
    return (
      `(${object} = ${value}, (typeof ${object} === 'object' && ${object} !== null && ` +
      `${object}.constructor === ${this.value(type.cls)} && !Array.isArray(${object}) && ` +
      `!(${object} instanceof Dict)) || isa(${object}, ${JSON.stringify(tag)}, classes))`
    );
  }

  /** An expression for a constant: a literal for strings and booleans, else read from `K`. */
  private value(value: unknown): string {
    if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
    this.values.push(value);
    return `K[${this.values.length - 1}]`;
  }

  private temporary(): string {
    return `t${this.temporaries++}`;
  }

  private name(prefix: string): string {
    return `${prefix}${this.names++}`;
  }
}

/**
 * `checkValue(variable)`, first trying the common cases checkValue lets through (an ordinary object, a boolean, a
 * safe integer, undefined, a list of such values: `checkList`) where the generated code reads the value, so that V8 checks each place's own kinds of
 * values (`then` on one class of objects, not on every object any check reads).
 */
function checked(variable: string): string {
  const v = variable;
  const ordinaryObject =
    `typeof ${v} === 'object' && ${v} !== null && !(${v} instanceof Promise) && typeof ${v}.then !== 'function' && ` +
    `!Array.isArray(${v}) && !(${v} instanceof Dict) && !(${v} instanceof Expression) && ` +
    `!(${v} instanceof Variable) && !(${v} instanceof Pattern) && !(${v} instanceof Predicate)`;
  return (
    `((${ordinaryObject}) || ${v} === undefined || typeof ${v} === 'boolean' || ` +
    `(typeof ${v} === 'number' && Number.isSafeInteger(${v})) || ` +
    (hasWellFormed ? `(typeof ${v} === 'string' && ${v}.isWellFormed()) || ` : '') +
    `(Array.isArray(${v}) && checkList(${v})) || checkValue(${v}))`
  );
}

/** A dictionary of the policy (`{a: x}`), as the engine builds it. */
function dictOf(keys: string[], values: unknown[]): Dict {
  return new Dict(Object.fromEntries(keys.map((key, i) => [key, values[i]])));
}

const ASK_BARE = new AskEngine('a bare condition on a value that is not a boolean (the engine fails on it)');

/** A value a bare condition may test: the engine fails on anything but a boolean. */
function bareCondition(value: unknown): unknown {
  if (typeof value !== 'boolean') throw ASK_BARE;
  return value;
}
