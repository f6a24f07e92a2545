import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';

/** The body of `POST /organizations/:orgId/expenses`. */
export class CreateExpenseDto {
  /** In cents, at most 1,000,000.00. */
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  amount!: number;

  @IsString()
  @Length(1, 200)
  description!: string;
}

/** The body of `PATCH /expenses/:id`: either field, or both. */
export class UpdateExpenseDto {
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  amount?: number;

  @IsOptional()
  @IsString()
  @Length(1, 200)
  description?: string;
}

/** The body of `POST /expenses/:id/approve` and `/reject`. */
export class DecisionDto {
  @IsOptional()
  @IsString()
  @Length(0, 500)
  notes?: string;
}

/** `?page=&pageSize=` of a list. */
export class PageQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  page = 1;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  pageSize = 20;
}
