import { BadRequestException } from '@nestjs/common';

/** The largest id there can be: ids are `integer` columns, 32 bits on PostgreSQL. */
export const MAX_ID = 2_147_483_647;

/**
 * A route id as a positive integer written in plain digits, or 400 naming the parameter. `2.0`, `0x2`, `02`, `+2`,
 * ` 2` and `２` are all 400 rather than aliases of 2, so an id has one spelling; ids beyond `MAX_ID` are 400 too,
 * since the database would reject them.
 *
 * @example
 * const id = parseId(request.params.id, 'id'); // '7' -> 7, '7.0' -> 400 "id must be a positive integer ..."
 */
export function parseId(value: unknown, parameter: string): number {
  const id = typeof value === 'string' && /^[1-9][0-9]{0,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!(id <= MAX_ID)) {
    throw new BadRequestException(`${parameter} must be a positive integer of at most ${MAX_ID}, in digits`);
  }
  return id;
}
