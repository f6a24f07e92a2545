/**
 * The nestjs-oso apps of the HTTP benchmark (see http-server.ts), in a module of their own so that the processes of
 * the other apps never load oso:
 * - `oso`: nestjs-oso with default options (the three ways to authorize, and a skipped route);
 * - `oso-engine`: the same without compiled decisions (`compile: false`);
 * - `oso-require`: the same with `requireAuthorization: true`;
 * - `oso-require-als`: `oso-require` once a request to a route that authorizes in its handler has run, so that the
 *   process uses AsyncLocalStorage (http-server.ts sends it).
 */
import { Controller, Get, Module, Param, type Type } from '@nestjs/common';
import { Authorize, AuthorizedResource, OsoModule, OsoService, SkipAuthorization } from 'nestjs-oso';
import { body, CLASSES, EXPENSE, findExpense, MEMBER, POLICY_DIR, type Expense } from './domain.js';

@Controller('oso')
class OsoController {
  constructor(private readonly oso: OsoService) {}

  @Get('skipped/:id')
  @SkipAuthorization('measures what the module costs around a route')
  async skipped(@Param('id') id: string) {
    return body((await findExpense(id))!);
  }

  @Get('route')
  @Authorize()
  async route() {
    return body(EXPENSE);
  }

  @Get('decorator/:id')
  @Authorize('read', { resource: (request: { params: { id: string } }) => findExpense(request.params.id) })
  decorator(@AuthorizedResource() expense: Expense) {
    return body(expense);
  }

  @Get('service/:id')
  async service(@Param('id') id: string) {
    const expense = await findExpense(id);
    await this.oso.authorize(MEMBER, 'read', expense);
    return body(expense!);
  }
}

const osoOptions = { policyDir: POLICY_DIR, classes: CLASSES, getActor: () => MEMBER };

@Module({ imports: [OsoModule.forRoot(osoOptions)], controllers: [OsoController] })
class OsoAppModule {}

@Module({ imports: [OsoModule.forRoot({ ...osoOptions, compile: false })], controllers: [OsoController] })
class OsoEngineAppModule {}

@Module({ imports: [OsoModule.forRoot({ ...osoOptions, requireAuthorization: true })], controllers: [OsoController] })
class OsoRequireAppModule {}

export const OSO_APPS: Record<string, Type> = {
  oso: OsoAppModule,
  'oso-engine': OsoEngineAppModule,
  'oso-require': OsoRequireAppModule,
  'oso-require-als': OsoRequireAppModule,
};
