import { BadRequestException } from '@nestjs/common';

/** A route id as a positive integer, or 400 naming the parameter. */
export function parseId(value: string | undefined, parameter: string): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id < 1) throw new BadRequestException(`${parameter} must be a positive integer`);
  return id;
}
