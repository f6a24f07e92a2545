import { Transform } from 'class-transformer';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';
import { IsText } from '../common/is-text.decorator.js';

/** The largest `?page=`: with 100 rows a page, an offset of 99,999,900 rows, which every database can take. */
export const MAX_PAGE = 1_000_000;

/** Optional means absent: `null` is a value, and answers 400 like any other wrong one (the columns are NOT NULL). */
const IfPresent = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/**
 * A query number in plain digits (`?page=2`). Anything else (`2.0`, `0x2`, `1e3`, ` 2`, `?page=1&page=2`) stays as it
 * is and fails `@IsInt`, where `@Type(() => Number)` would turn `1e308` into a page and `0x10` into 16.
 */
const QueryInteger = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value,
  );

/** The body of `POST /organizations/:orgId/expenses`. */
export class CreateExpenseDto {
  /** In cents, at most 1,000,000.00. */
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  amount!: number;

  @IsText(1, 200)
  description!: string;
}

/** The body of `PATCH /expenses/:id`: either field, or both (none is a 400, see ExpensesService.update). */
export class UpdateExpenseDto {
  @IfPresent()
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  amount?: number;

  @IfPresent()
  @IsText(1, 200)
  description?: string;
}

/** The body of `POST /expenses/:id/approve` and `/reject`. */
export class DecisionDto {
  @IfPresent()
  @IsText(0, 500)
  notes?: string;
}

/** `?page=&pageSize=` of a list. */
export class PageQueryDto {
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  page = 1;

  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(100)
  pageSize = 20;
}
