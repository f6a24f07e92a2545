import { BadRequestException, Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Answers 400 to a body or query holding a `__proto__`, `constructor` or `prototype` key at any depth. JSON.parse
 * and the query parser keep them as plain keys, and class-transformer drops them without a word, so without this
 * pipe `{"__proto__": {...}, "description": "x"}` would be half applied and `{"constructor": {}}` would reach the
 * service as an empty update. Runs before the ValidationPipe (see configureApp).
 *
 * @example
 * app.useGlobalPipes(new RejectPrototypeKeysPipe(), new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
 */
@Injectable()
export class RejectPrototypeKeysPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const problem = findForbiddenKey(value, 0);
      if (problem !== undefined) throw new BadRequestException([problem]);
    }
    return value;
  }
}

/** What is wrong with `value`, or undefined. */
function findForbiddenKey(value: unknown, depth: number): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  // Nothing this app accepts is nested; the limit only keeps the walk (and its stack) short.
  if (depth > 32) return 'the input is nested more than 32 levels deep';
  for (const key of Object.keys(value)) {
    if (FORBIDDEN.has(key)) return `property ${key} is not allowed`;
    const found = findForbiddenKey((value as Record<string, unknown>)[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
