import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { ResourceResolver } from 'nestjs-oso';
import type { Repository } from 'typeorm';
import { parseId } from '../common/parse-id.js';
import { Organization } from './organization.entity.js';

/** Loads the organization of `:orgId` for `@Authorize()`. */
@Injectable()
export class OrganizationResolver implements ResourceResolver<Organization> {
  constructor(@InjectRepository(Organization) private readonly organizations: Repository<Organization>) {}

  async resolve(request: { params: { orgId: string } }): Promise<Organization | null> {
    const id = parseId(request.params.orgId, 'orgId');
    return this.organizations.findOneBy({ id });
  }
}
