/**
 * Decides how a decision is compiled, from the two forms of the partial query (see `PartialForm`): the `separate`
 * form's results are parsed and checked first (`prepareDecision`), which tells whether the `single` form may be asked
 * for the engine's order; then the predicate is compiled in that order when the `single` form holds the same
 * constraints, exhaustively otherwise (`compileDecision`).
 */
import {
  FIELD,
  isArgument,
  keyOf,
  negates,
  UnsupportedPolicy,
  variablesOf,
  type Constraint,
} from './constraint-model.js';
import { conjunctionOf, conjunctionOfSingle } from './constraint-parser.js';
import { Variable } from '../engine/oso-library.js';
import { ACTION } from './partial-evaluation.js';
import { compileConjunctions, type CompileContext, type CompiledPredicate } from './predicate-compiler.js';

/** The results of the `separate` form, parsed and checked, before the `single` form is asked for. */
export interface PreparedDecision {
  conjunctions: Constraint[][];
  /** No local variable and no negation: the `single` form can be asked for the engine's order. */
  orderable: boolean;
}

/**
 * Parses and checks the results of the `separate` form.
 *
 * @throws {UnsupportedPolicy} when a result uses something outside the compiled subset.
 */
export function prepareDecision(separate: Array<Map<string, unknown>>, context: CompileContext): PreparedDecision {
  const conjunctions = separate.map(conjunctionOf);
  let orderable = true;
  for (const conjunction of conjunctions) {
    const local = conjunction.some((constraint) => [...variablesOf(constraint)].some((name) => !isArgument(name)));
    // The partial evaluator's negation of existential variables does not keep the policy's meaning.
    if (context.negation && local && conjunction.some(negates))
      throw new UnsupportedPolicy('`not` over a variable bound inside the rule');
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
  return ordered
    ? compileConjunctions(ordered, context, 'ordered')
    : compileConjunctions(prepared.conjunctions, context, 'exhaustive');
}

/**
 * Guards an `allow_field` predicate compiled with the field fixed, for a policy that tests the field late
 * (`PolicyFeatures.lateFieldTests`): the results with the field unknown hold the ways the fixed field rules out,
 * which the partial evaluator dropped but the engine may follow, reading attributes, up to the test of the field.
 * Their constraints are all evaluated first, for the lookups and comparisons the engine could fail on (the engine
 * then decides), never for the answer.
 *
 * @throws {UnsupportedPolicy} when a result uses something outside the compiled subset.
 */
export function guardFieldDecision(
  predicate: CompiledPredicate,
  unknownField: Array<Map<string, unknown>>,
  field: unknown,
  context: CompileContext,
): CompiledPredicate {
  const { conjunctions } = prepareDecision(unknownField, context);
  const ruledOut = conjunctions.filter((conjunction) =>
    conjunction.some((constraint) => onlyOnField(constraint) && !holdsFor(constraint, field, context)),
  );
  return guarded(predicate, ruledOut, context);
}

/**
 * Guards an `allow` predicate compiled with the action fixed, for a policy that tests the action late
 * (`PolicyFeatures.lateActionTests`), as `guardFieldDecision` guards fields: `anyAction` holds the results with the
 * action unknown (each with the action it allows, or none for any action); those of other actions, which the
 * partial evaluator dropped for this one but the engine may follow up to the test of the action, are all evaluated
 * first, for the lookups and comparisons the engine could fail on, never for the answer.
 *
 * @throws {UnsupportedPolicy} when a result compares the action with something other than a constant, or uses
 * something outside the compiled subset.
 */
export function guardActionDecision(
  predicate: CompiledPredicate,
  anyAction: Array<Map<string, unknown>>,
  action: unknown,
  context: CompileContext,
): CompiledPredicate {
  const ruledOut: Array<Map<string, unknown>> = [];
  for (const result of anyAction) {
    const bound = result.get(ACTION);
    // Any action: the way is among the fixed action's results too.
    if (bound === undefined || (bound instanceof Variable && [ACTION, '_this'].includes(bound.name))) continue;
    if (!['string', 'number', 'boolean'].includes(typeof bound))
      throw new UnsupportedPolicy('an action compared with other values');
    if (bound === action) continue;
    const rest = new Map(result);
    rest.delete(ACTION);
    ruledOut.push(rest);
  }
  const { conjunctions } = prepareDecision(ruledOut, context);
  if (conjunctions.some((conjunction) => conjunction.some((constraint) => variablesOf(constraint).has(ACTION))))
    throw new UnsupportedPolicy('an action compared with other values');
  return guarded(predicate, conjunctions, context);
}

/** `predicate`, with the ways of `ruledOut` all evaluated before it, for their failures (the engine then decides). */
function guarded(predicate: CompiledPredicate, ruledOut: Constraint[][], context: CompileContext): CompiledPredicate {
  if (ruledOut.length === 0) return predicate;
  const guard = compileConjunctions(ruledOut, context, 'exhaustive');
  const { evaluate } = predicate;
  return {
    ...predicate,
    evaluate: (actor, resource, value) => {
      guard.evaluate(actor, resource, value);
      return evaluate(actor, resource, value);
    },
  };
}

/** A test of the field alone (`field = "title"`, `field in ["id", "amount"]`). */
function onlyOnField(constraint: Constraint): boolean {
  const variables = variablesOf(constraint);
  return variables.size === 1 && variables.has(FIELD);
}

/** Whether a test of the field alone holds for this field (one that fails to evaluate counts as ruling it out). */
function holdsFor(constraint: Constraint, field: unknown, context: CompileContext): boolean {
  try {
    return compileConjunctions([[constraint]], context, 'exhaustive').evaluate(undefined, undefined, field);
  } catch {
    return false;
  }
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

/** The constraints of a conjunction, as a set, with local variables anonymous (their names differ between forms). */
function signature(conjunction: Constraint[]): string {
  const keys = new Set(conjunction.map((constraint) => keyOf(constraint, true)));
  return JSON.stringify([...keys].sort());
}
