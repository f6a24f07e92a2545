import { Injectable, type ExecutionContext } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { ResourceResolver } from 'nestjs-oso';
import type { Repository } from 'typeorm';
import { parseId } from '../common/parse-id.js';
import { Organization } from './organization.entity.js';

/** Loads the organization of `:orgId` (a route parameter, or the GraphQL field's `orgId` argument) for `@Authorize()`. */
@Injectable()
export class OrganizationResolver implements ResourceResolver<Organization> {
  constructor(@InjectRepository(Organization) private readonly organizations: Repository<Organization>) {}

  async resolve(
    input: { params?: { orgId: string }; orgId?: number },
    context: ExecutionContext,
  ): Promise<Organization | null> {
    const id = context.getType<string>() === 'graphql' ? Number(input.orgId) : parseId(input.params?.orgId, 'orgId');
    return this.organizations.findOneBy({ id });
  }
}
