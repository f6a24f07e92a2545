import { Variable } from '../engine/oso-library.js';
import { Expression } from '../engine/oso-internals.js';
import { printPolarTerm } from '../engine/polar-printer.js';

/**
 * Checks on the partial expression of one way through the rules, before oso turns it into a filter.
 *
 * oso's filter names joined rows by their type, so two different elements of one collection (`m in foo.numbers and
 * n in foo.numbers`) become the same row. That is exact when the elements are constrained alike, and silently too
 * strict when they are not (`m.number = 1 and n.number = 2` would ask one number to be both). This returns a
 * description of the expression when it has such elements, so that the caller refuses it.
 *
 * @internal
 */
export function conflatedElements(expression: unknown): string | undefined {
  if (!(expression instanceof Expression) || expression.operator !== 'And') return undefined;
  const operations = expression.args.filter((arg): arg is Expression => arg instanceof Expression);
  // Elements drawn from each collection path: `x in a.b` groups x under "a.b".
  const elements = new Map<string, string[]>();
  for (const operation of operations) {
    const [element, collection] = operation.args;
    if (operation.operator !== 'In' || !(element instanceof Variable) || !isPath(collection)) continue;
    const path = printPolarTerm(collection);
    elements.set(path, [...(elements.get(path) ?? []), element.name]);
  }
  for (const names of elements.values()) {
    const distinct = [...new Set(names)];
    if (distinct.length < 2) continue;
    // What each element must satisfy, with the elements of the collection renamed alike.
    const constraints = distinct.map((name) =>
      operations
        .filter(
          (operation) =>
            mentions(operation, name) &&
            !(operation.operator === 'In' && operation.args[0] instanceof Variable && operation.args[0].name === name),
        )
        .map((operation) => printPolarTerm(operation, new Set(distinct)))
        .sort()
        .join(' and '),
    );
    if (new Set(constraints).size > 1) return printPolarTerm(expression);
  }
  return undefined;
}

function isPath(term: unknown): boolean {
  return term instanceof Variable || (term instanceof Expression && term.operator === 'Dot' && isPath(term.args[0]));
}

function mentions(term: unknown, name: string): boolean {
  if (term instanceof Variable) return term.name === name;
  if (term instanceof Expression) return term.args.some((arg) => mentions(arg, name));
  return false;
}
