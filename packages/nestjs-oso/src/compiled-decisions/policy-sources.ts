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
    fieldSpecializers: new Set([...code.matchAll(/:\s*([A-Za-z_]\w*)?\s*\{/g)].map((match) => match[1] ?? '')),
    bareConditions: new RegExp(
      String.raw`(?:\bif|\band|\bor|\bnot|\()\s*(?!true\b|false\b|cut\b)[A-Za-z_][\w.]*\s*(?=\band\b|\bor\b|;|\))`,
    ).test(code),
  };
}

/** Whether an `allow_field` rule of the code (strings emptied) tests its field late (see `lateFieldTests`). */
function testsFieldLate(code: string): boolean {
  const constant = String.raw`(?:""|-?\d+(?:\.\d+)?|true|false|nil)`;
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
    const first = new RegExp(
      String.raw`^\s*(?:${name}\s+in\s+\[\s*(?:${constant}\s*(?:,\s*${constant}\s*)*)?\]|${name}\s*==?\s*${constant}|${constant}\s*==?\s*${name})\s*(?:\band\b|$)`,
    );
    const rest = (rule[1] ?? '').replace(first, '');
    if (new RegExp(String.raw`(?<![\w.])${name}(?!\w)`).test(rest)) return true;
  }
  return false;
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
