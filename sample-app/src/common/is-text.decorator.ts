import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * A string of `min` to `max` characters counted as the database counts them (code points: `😀` is one character,
 * and so is each variation selector, which class-validator's `@Length` leaves out), without NUL, which PostgreSQL
 * cannot store. Anything else would pass validation and fail in the database, as a 500.
 *
 * @example
 * @IsText(1, 200) description!: string;
 */
export function IsText(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isText',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || value.includes('\u0000')) return false;
          const length = [...value].length;
          return length >= min && length <= max;
        },
        defaultMessage: buildMessage(
          (each) => `${each}$property must be text of ${min} to ${max} characters, without NUL`,
          options,
        ),
      },
    },
    options,
  );
}
