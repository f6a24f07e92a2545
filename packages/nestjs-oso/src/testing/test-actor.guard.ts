import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { OsoConfigurationError } from '../errors/oso-configuration.error.js';

/**
 * The header `TestActorGuard` reads unless told otherwise.
 *
 * @example
 * await request(server).get('/expenses/1').set(TEST_ACTOR_HEADER, 'alice');
 * @publicApi
 */
export const TEST_ACTOR_HEADER = 'x-test-actor';

/**
 * Options of `TestActorGuard`.
 *
 * @example
 * new TestActorGuard({ actors: { alice: new User(1), bob: new User(2) }, header: 'x-test-actor', property: 'user' })
 * @publicApi
 */
export interface TestActorOptions {
  /** The actors tests may act as, by name, or a function from the header's value to the actor. */
  actors: Record<string, unknown> | ((name: string) => unknown);
  /** The request header that names the actor (default `x-test-actor`). */
  header?: string;
  /** The request property the actor is put in (default `user`, where authentication guards put it). */
  property?: string;
}

/**
 * A stand-in for authentication in e2e tests: puts the actor named by a request header into `request.user`, so
 * tests act as anyone without tokens or sessions. Without the header the request has no actor (checks answer 401).
 * A name that is not one of `actors` is a mistake in the test and answers 500, with the name in the log, rather than
 * passing as a guest. Use it in place of your authentication guard (`overrideGuard`) or as a global guard.
 *
 * @example
 * const actors = new TestActorGuard({ actors: { alice, bob } });
 * const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
 *   .overrideGuard(JwtAuthGuard).useValue(actors) // or: providers: [{ provide: APP_GUARD, useValue: actors }]
 *   .compile();
 * await request(app.getHttpServer()).get('/expenses/1').set(actors.as('alice')).expect(200);
 * @publicApi
 */
export class TestActorGuard implements CanActivate {
  private readonly header: string;

  constructor(private readonly options: TestActorOptions) {
    this.header = (options.header ?? TEST_ACTOR_HEADER).toLowerCase();
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<{ headers: Record<string, unknown> } & Record<string, unknown>>();
    const name = request.headers[this.header];
    if (typeof name !== 'string' || name === '') return true;
    request[this.options.property ?? 'user'] = this.actorNamed(name);
    return true;
  }

  /**
   * The headers that make a request act as `name`, for supertest's `.set()`.
   *
   * @example
   * await request(server).get('/expenses/1').set(actors.as('bob')).expect(404);
   */
  as(name: string): Record<string, string> {
    return { [this.header]: name };
  }

  private actorNamed(name: string): unknown {
    const { actors } = this.options;
    const actor = typeof actors === 'function' ? actors(name) : Object.hasOwn(actors, name) ? actors[name] : undefined;
    if (actor === undefined) {
      const known = typeof actors === 'function' ? '' : ` (known: ${Object.keys(actors).join(', ')})`;
      throw new OsoConfigurationError(`TestActorGuard: no test actor named "${name}"${known}`);
    }
    return actor;
  }
}
