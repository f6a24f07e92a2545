/**
 * The policy text an engine loaded, kept so that compiled decisions can tell which Polar features it uses: the
 * partial evaluator silently drops `cut`, mistranslates `forall`, and rewrites negations in ways that only match
 * the engine for some values, none of which shows in its results.
 */
import type { Oso } from 'oso';

const sources = new WeakMap<object, string[]>();

/**
 * Remembers the Polar text `engine` loads from now on (through `loadFiles` or `loadStr`). `createOsoEngine` calls
 * it before loading; compiled decisions are only made for engines whose policy text is known.
 *
 * @example
 * const oso = new Oso();
 * recordPolicySources(oso);
 * await oso.loadFiles(files);
 */
export function recordPolicySources(engine: Oso): void {
  const target = engine as unknown as { loadSources(loaded: Array<{ src: string }>): Promise<void> };
  const load = target.loadSources;
  if (typeof load !== 'function') return;
  sources.set(engine, sources.get(engine) ?? []);
  target.loadSources = function (this: unknown, loaded: Array<{ src: string }>) {
    sources.get(engine)!.push(...loaded.map((source) => source.src));
    return load.call(this, loaded);
  };
}

/** The Polar features of a policy that change how far its partial evaluation can be trusted. */
export interface PolicyFeatures {
  /** `cut` is dropped by the partial evaluator. */
  cut: boolean;
  /** `forall` comes out of the partial evaluator as an expression that does not mean the same. */
  forall: boolean;
  /** `not` is rewritten into `!=`, `>=`, `Or`..., which match the engine only for some values. */
  negation: boolean;
  /**
   * `not` over more than one constraint (`not (a and b)`, `not some_rule(x)`): the partial evaluator turns
   * `not (actor.a = 1 and resource.b = 2)` into `actor.a != 1 and resource.b != 2`, which is wrong.
   */
  compoundNegation: boolean;
  /**
   * Attributes whose path the policy binds to a variable or passes to a rule (`org = expense.organization`,
   * `has_role(user, "admin", expense.organization)`): the engine looks such a path up at that point, possibly
   * earlier than the constraint that uses it in a partial result.
   */
  aliased: Set<string>;
  /**
   * A bare condition (`if user.active`): the engine fails on a value that is not a boolean, but the partial
   * evaluator writes it `true = user.active`, like the condition that is merely false for such a value.
   */
  bareConditions: boolean;
  /**
   * The first comparison of an attribute with itself (`d.rank >= d.rank`), if any. The partial evaluator drops it, so
   * no partial result reads the attribute, while the engine reads it on an instance and raises when it is absent (or,
   * for an ordering, when it is a boolean).
   */
  reflexive: string | undefined;
  /**
   * An `allow_field` rule may test its field after a condition that reads something (`if has_clearance(u, d) and
   * field in ["level"]`, `if field = d.title`, a head pattern `r: Report{owner: "x"}`): the engine makes those
   * lookups, and may fail on them, for any field it is asked about, while a partial query with that field fixed
   * drops the rule without them. Not so when every rule matches its field in its head, or by a first condition
   * `field in [...]` or `field = "..."` over constants, without patterns with fields before it.
   */
  lateFieldTests: boolean;
  /**
   * Per rule, whether it may test its action after a condition that reads something (`allow(u, a, r) if r.owner = u
   * and a = "edit"`): the engine makes those lookups, and may fail on them, for any action it is asked about, while a
   * partial query with that action fixed drops the rule without them. Not so when every rule matches its action in
   * its head (`allow(u, "read", r)`, the `has_permission` rules of resource blocks), by a first condition over
   * constants, or by passing it, first thing and with nothing looked up, to rules that do (`if has_permission(u, a,
   * r)`).
   */
  lateActionTests: { allow: boolean; allow_field: boolean };
  /**
   * The first condition that fails on constants alone after another condition, if any (`r.ok and false`, `... and 1
   * = 2`, `a = "p" and a = "q"`): the partial evaluator drops its rule with the lookups before it, which the engine
   * makes and may fail on.
   */
  deadCondition: string | undefined;
  /**
   * The classes of specializers with fields (`r: Doc{ok: true}`; `''` for `r: {id: 1}`): the engine sorts such rules
   * before others for concrete values, the partial evaluator does not (see `authorizedActions` listings).
   */
  fieldSpecializers: Set<string>;
}

/** An attribute path in Polar text (`d.org.tier`), as a regular expression source. */
export const POLAR_PATH = String.raw`[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+`;
const PATH = POLAR_PATH;
const NAME = String.raw`[A-Za-z_]\w*`;

const featuresCache = new WeakMap<object, { files: number; features: PolicyFeatures }>();

/** The features of the policy `engine` loaded, or `undefined` when its text was not recorded. */
export function policyFeaturesOf(engine: Oso): PolicyFeatures | undefined {
  const text = sources.get(engine);
  if (!text) return undefined;
  const cached = featuresCache.get(engine);
  if (cached?.files === text.length) return cached.features;
  const features = policyFeatures(text.join('\n'));
  featuresCache.set(engine, { files: text.length, features });
  return features;
}

/** The features of some Polar text. */
export function policyFeatures(text: string): PolicyFeatures {
  // Strings and comments cannot hold keywords; attribute names (`x.cut`) may, and count, to be safe.
  const code = text.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/#[^\n]*/g, '');
  const aliased = new Set<string>();
  const last = (path: string) => path.slice(path.lastIndexOf('.') + 1);
  const equals = String.raw`(?<![=!<>])=(?!=)`;
  for (const [, path] of code.matchAll(
    new RegExp(String.raw`(?<![\w.])${NAME}\s*${equals}\s*(${PATH})(?![\w.(\[])`, 'g'),
  ))
    aliased.add(last(path!));
  for (const [, path] of code.matchAll(
    new RegExp(String.raw`(?<![\w.])(${PATH})\s*${equals}\s*${NAME}(?![\w.(\[])`, 'g'),
  ))
    aliased.add(last(path!));
  for (const [, args] of code.matchAll(/[A-Za-z_]\w*\s*\(([^()]*)\)/g)) {
    for (const arg of args!.split(',')) if (new RegExp(`^${PATH}$`).test(arg.trim())) aliased.add(last(arg.trim()));
  }
  return {
    cut: /\bcut\b/.test(code),
    forall: /\bforall\b/.test(code),
    negation: /\bnot\b/.test(code),
    compoundNegation: [...code.matchAll(/\bnot\b/g)].some((match) => negatesSeveral(code.slice(match.index! + 3))),
    aliased,
    reflexive: new RegExp(String.raw`(?<![\w.])(${PATH})\s*(?:==|=|!=|<=|>=|<|>)\s*\1(?![\w.(\[])`).exec(code)?.[0],
    lateFieldTests: testsFieldLate(code),
    lateActionTests: {
      allow: testsArgumentLate(code, 'allow', 3, 1, new Set()),
      allow_field: testsArgumentLate(code, 'allow_field', 4, 1, new Set()),
    },
    // Constants matter there: strings kept, comments removed.
    deadCondition: deadCondition(
      text.replace(/"(?:[^"\\]|\\.)*"|#[^\n]*/g, (token) => (token[0] === '#' ? '' : token)),
    ),
    fieldSpecializers: new Set([...code.matchAll(/:\s*([A-Za-z_]\w*)?\s*\{/g)].map((match) => match[1] ?? '')),
    bareConditions: new RegExp(
      String.raw`(?:\bif|\band|\bor|\bnot|\()\s*(?!true\b|false\b|cut\b)[A-Za-z_][\w.]*\s*(?=\band\b|\bor\b|;|\))`,
    ).test(code),
  };
}

/** Whether an `allow_field` rule of the code (strings emptied) tests its field late (see `lateFieldTests`). */
function testsFieldLate(code: string): boolean {
  for (const match of code.matchAll(/(?<![\w.])allow_field\s*\(/g)) {
    const call = argumentsAt(code, match.index! + match[0].length);
    if (!call || call.args.length !== 4) return true;
    // A pattern with fields (`r: Report{owner: "x"}`) is looked up in the head, before the field.
    if (call.args.slice(0, 3).some((arg) => arg.includes('{'))) return true;
    const rule = /^\s*(?:if\b([^;]*))?;/.exec(code.slice(call.end));
    // A call inside another rule's body: the rule is found at its own head.
    if (!rule) continue;
    const name = call.args[3]!.split(':')[0]!.trim();
    if (!/^[A-Za-z_]\w*$/.test(name) || name === '_') continue;
    const rest = withoutFirstConstantTest(rule[1] ?? '', name);
    if (mentions(rest, name)) return true;
  }
  return false;
}

/** A Polar constant, in code whose strings are emptied (`""`) or not. */
const CONSTANT = String.raw`(?:"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|nil)`;

/** Whether `name` occurs in `text` as a variable (not as an attribute or part of a longer name). */
function mentions(text: string, name: string): boolean {
  return new RegExp(String.raw`(?<![\w.])${name}(?!\w)`).test(text);
}

/** A body without its first condition when that tests `name` against constants (`name in [...]`, `name = "..."`). */
function withoutFirstConstantTest(body: string, name: string): string {
  const constants = String.raw`\[\s*(?:${CONSTANT}\s*(?:,\s*${CONSTANT}\s*)*)?\]`;
  const first = new RegExp(
    String.raw`^\s*(?:${name}\s+in\s+${constants}|${name}\s*==?\s*${CONSTANT}|${CONSTANT}\s*==?\s*${name})\s*(?:\band\b|$)`,
  );
  return body.replace(first, '');
}

/**
 * The definitions of a rule with `arity` arguments: a head where a rule may start (the start of the text, after `;`
 * or `}`), its arguments and its body (`undefined` for a fact).
 */
function definitionsOf(code: string, rule: string, arity: number): Array<{ args: string[]; body?: string }> {
  const definitions: Array<{ args: string[]; body?: string }> = [];
  for (const match of code.matchAll(new RegExp(String.raw`(?:^|[;}])\s*${rule}\s*\(`, 'g'))) {
    const call = argumentsAt(code, match.index! + match[0].length);
    if (!call || call.args.length !== arity) continue;
    const definition = /^\s*(?:if\b([^;]*))?;/.exec(code.slice(call.end));
    if (definition) definitions.push({ args: call.args, ...(definition[1] !== undefined && { body: definition[1] }) });
  }
  return definitions;
}

/**
 * Whether some definition of `rule` (with `arity` arguments) may test its argument `index` after reading something
 * (see `lateActionTests`), following the rules it passes that argument to first thing. Code has its strings emptied.
 */
function testsArgumentLate(code: string, rule: string, arity: number, index: number, visiting: Set<string>): boolean {
  const key = `${rule}/${arity}/${index}`;
  // A rule that passes the argument back to itself first thing is not followed.
  if (visiting.has(key)) return true;
  visiting.add(key);
  try {
    for (const { args, body } of definitionsOf(code, rule, arity)) {
      // A pattern with fields before the argument (`u: User{active: true}`) is looked up in the head, before it.
      if (args.slice(0, index).some((arg) => arg.includes('{'))) return true;
      const name = args[index]!.split(':')[0]!.trim();
      if (!/^[A-Za-z_]\w*$/.test(name) || ['_', 'true', 'false', 'nil'].includes(name) || body === undefined) continue;
      const rest = withoutFirstConstantTest(body, name);
      if (!mentions(rest, name)) continue;
      // Passed first thing to a rule, with nothing to look up in the call, and not used after it.
      const called = /^\s*([A-Za-z_]\w*)\s*\(/.exec(rest);
      const call = called && argumentsAt(rest, called[0].length);
      if (called && call) {
        const position = call.args.findIndex((arg) => arg.trim() === name);
        const plain = call.args.every((arg) => !/[.{[]/.test(arg));
        const once = call.args.filter((arg) => mentions(arg, name)).length === 1;
        if (
          position !== -1 &&
          plain &&
          once &&
          !mentions(rest.slice(call.end), name) &&
          !testsArgumentLate(code, called[1]!, call.args.length, position, visiting)
        )
          continue;
      }
      return true;
    }
    return false;
  } finally {
    visiting.delete(key);
  }
}

/** The first condition of the code (comments removed, strings kept) that fails on constants alone after another. */
function deadCondition(code: string): string | undefined {
  const comparison = new RegExp(String.raw`^${CONSTANT}\s*(?:==|=|!=|<=|>=|<|>)\s*${CONSTANT}$`);
  const equation = new RegExp(
    String.raw`^(?:([A-Za-z_]\w*)\s*==?\s*(${CONSTANT})|(${CONSTANT})\s*==?\s*([A-Za-z_]\w*))$`,
  );
  for (const [, body] of code.matchAll(/\bif\b([^;]*);/g)) {
    const conditions = topLevelConditions(body!);
    const equal = new Map<string, string>();
    for (const [i, condition] of conditions.entries()) {
      const equated = equation.exec(condition);
      const name = equated?.[1] ?? equated?.[4];
      const value = equated?.[2] ?? equated?.[3];
      const contradicts =
        condition === 'false' ||
        comparison.test(condition) ||
        (name !== undefined &&
          !['true', 'false', 'nil'].includes(name) &&
          equal.has(name) &&
          equal.get(name) !== value);
      if (contradicts && i > 0) return condition;
      if (name !== undefined && value !== undefined && !equal.has(name)) equal.set(name, value);
    }
  }
  return undefined;
}

/** The conditions a body joins with `and` at its top level, or the whole body when it has a top-level `or`. */
function topLevelConditions(body: string): string[] {
  const conditions: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < body.length; i++) {
    const char = body[i]!;
    if (char === '"') {
      i = body.indexOf('"', i + 1);
      while (i > 0 && body[i - 1] === '\\') i = body.indexOf('"', i + 1);
      if (i < 0) break;
    } else if ('([{'.includes(char)) depth++;
    else if (')]}'.includes(char)) depth--;
    else if (depth === 0 && /^\bor\b/.test(body.slice(i, i + 3)) && !/\w/.test(body[i - 1] ?? '')) return [body.trim()];
    else if (depth === 0 && /^and\b/.test(body.slice(i, i + 4)) && !/\w/.test(body[i - 1] ?? '')) {
      conditions.push(body.slice(from, i).trim());
      from = i + 3;
    }
  }
  conditions.push(body.slice(from).trim());
  return conditions;
}

/** The top-level arguments of a call whose `(` ends just before `start`, and the index after its `)`. */
function argumentsAt(code: string, start: number): { args: string[]; end: number } | undefined {
  const args: string[] = [];
  let depth = 0;
  let from = start;
  for (let i = start; i < code.length; i++) {
    const char = code[i]!;
    if ('([{'.includes(char)) depth++;
    else if (')]}'.includes(char)) {
      if (depth === 0) {
        args.push(code.slice(from, i));
        return { args, end: i + 1 };
      }
      depth--;
    } else if (char === ',' && depth === 0) {
      args.push(code.slice(from, i));
      from = i + 1;
    }
  }
  return undefined;
}

/** Whether the operand of a `not` (the text after it) is more than one constraint: a group or a rule call. */
function negatesSeveral(rest: string): boolean {
  const operand = /^[\s\S]*?(?=;|\band\b|\bor\b|\)|$)/.exec(rest)?.[0] ?? rest;
  return /^\s*\(/.test(rest) || operand.includes('(');
}
