/**
 * Decides how a decision is compiled, from the two forms of the partial query (see `PartialForm`): the `separate`
 * form's results are parsed and checked first (`prepareDecision`), which tells whether the `single` form may be asked
 * for the engine's order; then the predicate is compiled in that order when the `single` form holds the same
 * constraints, exhaustively otherwise (`compileDecision`).
 */
import {
  ACTOR,
  keyOf,
  negates,
  RESOURCE,
  UnsupportedPolicy,
  variablesOf,
  type Constraint,
} from './constraint-model.js';
import { conjunctionOf, conjunctionOfSingle } from './constraint-parser.js';
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
    const local = conjunction.some((constraint) =>
      [...variablesOf(constraint)].some((name) => name !== ACTOR && name !== RESOURCE),
    );
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
