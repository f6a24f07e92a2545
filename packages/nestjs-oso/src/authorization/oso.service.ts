import { HttpException, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Class } from 'oso';
import { Oso } from '../engine/oso-library.js';
import { currentAuthorizationState, type AuthorizationState } from './authorization-state.js';
import type { DecisionMemo } from './decision-memo.js';
import { CompiledDecisions, type CompiledDecisionInfo } from '../compiled-decisions/compiled-decisions.js';
import { engineFailureException, unauthorizedException } from './authorization-failure.js';
import { buildAuthorizedQuery, fetchAuthorizedResources, filterAuthorizedItems } from '../data-filtering/index.js';
import { engineErrorLog, type EngineCallSubjects } from '../engine/engine-error-log.js';
import { warmUpPolarEngine } from '../engine/engine-warm-up.js';
import { HttpRequest } from './http-request.js';
import { toTransportError } from '../transports/transport-error.js';
import { DEFAULT_READ_ACTION, OSO_ENGINE } from '../module/oso.constants.js';
import { OSO_MODULE_OPTIONS } from '../module/oso.module-definition.js';
import type { AuthorizationFailure, OsoModuleOptions } from '../module/oso-module-options.interface.js';

/**
 * Options of a single `OsoService.authorize()` call.
 *
 * @example
 * await this.oso.authorize(user, 'approve', expense, { checkRead: false });
 * @publicApi
 */
export interface AuthorizeCallOptions {
  /** Answer 404 when the actor may not even read the resource; defaults to the module's `checkRead` (true). */
  checkRead?: boolean;
}

/**
 * The policy engine behind dependency injection. Every check of the module goes through it, and every failure
 * comes out as a Nest exception: 401 without an actor, 404 when the actor may not even read the resource, 403
 * otherwise, and 500 (with details only in the log) when the engine itself fails.
 *
 * Within a request, each decision is asked of the engine once: the same actor, action and resource (compared by
 * identity) get the remembered answer, and after `authorizedActions` every action on that pair is known. A
 * resource changed during the request should be checked as a new object, or through `engine`.
 *
 * Calls that enforce a decision (`authorize`, `authorizeRequest`, `authorizeField`, `authorizedQuery`,
 * `authorizedResources`) count as "this request was authorized" for `requireAuthorization`, from any depth of the
 * call stack. Calls that only ask (`isAllowed`, `authorizedActions`, `authorizedFields`) do not.
 *
 * @example
 * constructor(private readonly oso: OsoService) {}
 * async approve(user: User, expense: Expense) {
 *   await this.oso.authorize(user, 'approve', expense);
 * }
 * @publicApi
 */
@Injectable()
export class OsoService implements OnApplicationBootstrap {
  private readonly logger = new Logger('OsoModule');
  /** Compiled `allow` decisions, per engine: a reload starts over. */
  private readonly compiled: CompiledDecisions;

  constructor(
    @Inject(OSO_ENGINE) private oso: Oso,
    @Inject(OSO_MODULE_OPTIONS) private readonly options: OsoModuleOptions,
  ) {
    this.compiled = new CompiledDecisions(this.logger, options.compile !== false);
  }

  /** Warms the engine up before the app takes requests (see `OsoModuleOptions.warmUp`). */
  async onApplicationBootstrap(): Promise<void> {
    if (this.options.warmUp !== false) await warmUpPolarEngine();
  }

  /**
   * The underlying `Oso` instance, for what this service does not wrap. Calls made on it directly do not count
   * as authorizing the request. Take it afresh for each use: once a reload replaced it, it is freed a second after
   * its last query, and a call on it then fails.
   *
   * @example
   * const results = this.oso.engine.queryRule('has_role', user, 'admin', org);
   */
  get engine(): Oso {
    return this.oso;
  }

  /**
   * Puts a new engine in place of the current one (a policy reload). Checks already running finish on the engine
   * they started on; the next ones use the new engine.
   *
   * @example
   * this.oso.replaceEngine(await createOsoEngine(options));
   */
  replaceEngine(engine: Oso): void {
    this.oso = engine;
  }

  /**
   * Asks whether `actor` may do `action` on `resource`. It does not enforce anything and does not count as
   * authorizing the request; prefer `authorize()` in request handling.
   *
   * @example
   * if (await this.oso.isAllowed(user, 'approve', expense)) buttons.push('approve');
   */
  async isAllowed(actor: unknown, action: unknown, resource: unknown): Promise<boolean> {
    return this.decide(this.oso, currentAuthorizationState(), actor, action, resource);
  }

  /**
   * Ensures `actor` may do `action` on `resource`, or throws: 401 when there is no actor, 404 when the actor may
   * not even read the resource (unless `checkRead` is false), 403 otherwise.
   *
   * @example
   * await this.oso.authorize(user, 'update', expense);
   * @throws {UnauthorizedException | NotFoundException | ForbiddenException} when denied.
   * @throws {InternalServerErrorException} when the engine fails.
   */
  async authorize(
    actor: unknown,
    action: unknown,
    resource: unknown,
    options: AuthorizeCallOptions = {},
  ): Promise<void> {
    return this.authorizeInRequest(currentAuthorizationState(), actor, action, resource, options.checkRead);
  }

  /**
   * `authorize` for the request whose state is given (the route check passes it; service calls find it through
   * the request context, if any). Returns nothing when it could allow at once (a compiled or remembered decision),
   * so that the guard stays synchronous on its common path; otherwise a promise.
   * @internal
   */
  authorizeInRequest(
    state: AuthorizationState | undefined,
    actor: unknown,
    action: unknown,
    resource: unknown,
    checkRead?: boolean,
  ): void | Promise<void> {
    // Both queries of one check ask the same engine, even if a reload swaps it in between.
    const engine = this.oso;
    const allowed = this.decide(engine, state, actor, action, resource);
    if (allowed === true) return this.markAuthorized(state);
    return this.finishAuthorize(engine, state, actor, action, resource, checkRead, allowed);
  }

  private async finishAuthorize(
    engine: Oso,
    state: AuthorizationState | undefined,
    actor: unknown,
    action: unknown,
    resource: unknown,
    checkRead: boolean | undefined,
    decision: false | Promise<boolean>,
  ): Promise<void> {
    if (await decision) return this.markAuthorized(state);
    const readAction = this.options.readAction ?? DEFAULT_READ_ACTION;
    let reason: AuthorizationFailure['reason'] = 'forbidden';
    if (actor == null) reason = 'unauthenticated';
    // Denied "read" needs no second query: the actor cannot read it.
    else if (
      (checkRead ?? this.options.checkRead ?? true) &&
      (action === readAction || !(await this.decide(engine, state, actor, readAction, resource)))
    ) {
      reason = 'not-found';
    }
    return this.deny(state, { reason, actor: toPolarActor(actor), action, resource });
  }

  /**
   * Route authorization: ensures `actor` may send `request` (a platform request or an `HttpRequest`), checking
   * `allow(actor, action, request: HttpRequest)` with the request's method as the default action.
   *
   * @example
   * await this.oso.authorizeRequest(user, request); // allow(user, "GET", req: HttpRequest) if req.path = "/";
   * @throws {UnauthorizedException | ForbiddenException} when denied.
   */
  async authorizeRequest(actor: unknown, request: object, action?: string): Promise<void> {
    const httpRequest = request instanceof HttpRequest ? request : HttpRequest.from(request);
    await this.authorizeInRequest(currentAuthorizationState(), actor, action ?? httpRequest.method, httpRequest, false);
  }

  /**
   * The actions `actor` may do on `resource` (by `allow` rules), for example to show the right buttons. Listed by
   * compiled decisions when the policy allows it (the engine's answer, order and errors; see
   * docs/compiled-decisions.md), by the engine otherwise.
   *
   * @example
   * const actions = await this.oso.authorizedActions(user, expense); // Set { 'read', 'approve' }
   */
  async authorizedActions(
    actor: unknown,
    resource: unknown,
    options: { allowWildcard?: boolean } = {},
  ): Promise<Set<unknown>> {
    const polarActor = toPolarActor(actor);
    const memo = currentAuthorizationState()?.decisions;
    const known = memo?.recallAllActions(polarActor, resource);
    if (known && (options.allowWildcard || !known.has('*'))) return new Set(known);
    // The compiled listing and the engine ask the same engine, even if a reload swaps it in between.
    const engine = this.oso;
    const listed = this.compiled.list(
      'allow',
      engine,
      polarActor,
      undefined,
      resource,
      Boolean(options.allowWildcard),
      currentAuthorizationState(),
    );
    const actions =
      (listed instanceof Promise ? await listed : listed) ??
      (await this.ask('authorizedActions', () => engine.authorizedActions(polarActor, resource, options), {
        actor,
        resource,
      }));
    memo?.rememberAllActions(polarActor, resource, new Set(actions));
    return actions;
  }

  /**
   * Ensures `actor` may do `action` on `field` of `resource` (by `allow_field` rules), or throws 403 (401 without
   * an actor).
   *
   * @example
   * await this.oso.authorizeField(user, 'read', expense, 'approverNotes');
   */
  async authorizeField(actor: unknown, action: unknown, resource: unknown, field: unknown): Promise<void> {
    const allowed = await this.isFieldAllowed(actor, action, resource, field);
    const state = currentAuthorizationState();
    if (allowed) return this.markAuthorized(state);
    const reason = actor == null ? 'unauthenticated' : 'forbidden';
    return this.deny(state, { reason, actor: toPolarActor(actor), action, resource, field });
  }

  /**
   * One `allow_field(actor, action, resource, field)` decision, compiled (synchronous) or asked of the engine (a
   * promise; an engine failure rejects with the 500 of `authorizeField`, logged as such). It neither enforces nor
   * counts as authorizing; nothing is remembered (the GraphQL field middleware keeps its own answers per request).
   * @internal
   */
  isFieldAllowed(actor: unknown, action: unknown, resource: unknown, field: unknown): boolean | Promise<boolean> {
    // The compiled check and the engine ask the same engine, even if a reload swaps it in between.
    const engine = this.oso;
    const polarActor = toPolarActor(actor);
    const compiled = this.compiled.decideField(
      engine,
      polarActor,
      action,
      resource,
      field,
      currentAuthorizationState(),
    );
    if (compiled === true || compiled === false) return compiled;
    return this.fieldByEngine(engine, polarActor, action, resource, field, compiled);
  }

  private async fieldByEngine(
    engine: Oso,
    polarActor: unknown,
    action: unknown,
    resource: unknown,
    field: unknown,
    compiling: Promise<boolean | undefined> | undefined,
  ): Promise<boolean> {
    const subjects = { actor: polarActor, action, resource, field };
    const query = () => engine.queryRuleOnce('allow_field', polarActor, action, resource, field);
    return (await compiling) ?? (await this.ask('authorizeField', query, subjects));
  }

  /**
   * The fields of `resource` on which `actor` may do `action` (by `allow_field` rules), listed like
   * `authorizedActions`.
   *
   * @example
   * const visible = await this.oso.authorizedFields(user, 'read', expense); // Set { 'amount', 'description' }
   */
  async authorizedFields(
    actor: unknown,
    action: unknown,
    resource: unknown,
    options: { allowWildcard?: boolean } = {},
  ): Promise<Set<unknown>> {
    const engine = this.oso;
    const polarActor = toPolarActor(actor);
    const listed = this.compiled.list(
      'allow_field',
      engine,
      polarActor,
      action,
      resource,
      Boolean(options.allowWildcard),
      currentAuthorizationState(),
    );
    const fields = listed instanceof Promise ? await listed : listed;
    if (fields) return fields;
    return this.ask('authorizedFields', () => engine.authorizedFields(polarActor, action, resource, options), {
      actor,
      action,
      resource,
    });
  }

  /**
   * A query for the resources of `resourceClass` that `actor` may do `action` on, built by the data filtering
   * adapter of the `dataFiltering` option: with `typeOrmAdapter`, one chainable `SelectQueryBuilder`. Nothing
   * allowed gives a query without rows. A policy the adapter cannot express exactly answers 500 (logged with the
   * rule), never a wrong filter.
   *
   * @example
   * const query = await this.oso.authorizedQuery<SelectQueryBuilder<Expense>>(user, 'read', Expense);
   * const page = await query.orderBy(`${query.alias}.id`).take(20).getMany();
   */
  async authorizedQuery<Query = unknown>(
    actor: unknown,
    action: unknown,
    resourceClass: Class | string,
  ): Promise<Query> {
    const query = await this.ask(
      'authorizedQuery',
      () => buildAuthorizedQuery<Query>(this.oso, toPolarActor(actor), action, resourceClass),
      { actor, action, resource: resourceClass },
    );
    this.markAuthorized();
    return query;
  }

  /**
   * The resources of `resourceClass` that `actor` may do `action` on: of `items` when given (filtered in memory
   * by one predicate built from the policy), else fetched by the `dataFiltering` adapter.
   *
   * @example
   * const visible = await this.oso.authorizedResources(user, 'read', Expense, expenses);
   * const all = await this.oso.authorizedResources<Expense>(user, 'read', Expense); // through the adapter
   */
  async authorizedResources<Resource = unknown>(
    actor: unknown,
    action: unknown,
    resourceClass: Class | string,
    items?: Iterable<Resource>,
  ): Promise<Resource[]> {
    const polarActor = toPolarActor(actor);
    const resources = await this.ask(
      'authorizedResources',
      () =>
        items
          ? filterAuthorizedItems(this.oso, polarActor, action, resourceClass, items)
          : fetchAuthorizedResources<Resource>(this.oso, polarActor, action, resourceClass),
      { actor, action, resource: resourceClass },
    );
    this.markAuthorized();
    return resources;
  }

  /**
   * Marks the current request as needing no authorization, so `requireAuthorization` lets it through. Outside a
   * request it does nothing.
   *
   * @example
   * this.oso.skipAuthorization('public price list');
   */
  skipAuthorization(reason?: string): void {
    currentAuthorizationState()?.skip(reason);
  }

  /**
   * Which `allow` and `allow_field` decisions are compiled into JavaScript predicates (see the `compile` option) and
   * which the engine answers, and why, per (actor class, action, resource class) seen so far by the current engine
   * (and field, for `allow_field`), with how many decisions took each path.
   *
   * @example
   * for (const d of this.oso.compiledDecisions()) console.log(`${d.actor} ${d.action} ${d.resource}: ${d.status}`, d.reason ?? '');
   */
  compiledDecisions(): CompiledDecisionInfo[] {
    return this.compiled.describe(this.oso);
  }

  /**
   * One `allow` decision: remembered in the request, compiled, or asked of the engine, in that order. The first
   * two answer synchronously; the engine (or compiling a new triple) gives a promise. Only what took the engine (or
   * a compilation) is remembered.
   */
  private decide(
    engine: Oso,
    state: AuthorizationState | undefined,
    actor: unknown,
    action: unknown,
    resource: unknown,
  ): boolean | Promise<boolean> {
    const polarActor = toPolarActor(actor);
    const memo = state?.decisions;
    const known = memo?.recall(polarActor, action, resource);
    if (known !== undefined) return known;
    const compiled = this.compiled.decide(engine, polarActor, action, resource, state);
    if (compiled === undefined || compiled instanceof Promise) {
      return this.decideLater(engine, memo, polarActor, action, resource, compiled);
    }
    // Not remembered: running the predicate again costs about what remembering does, and reads fresh attributes.
    return compiled;
  }

  private async decideLater(
    engine: Oso,
    memo: DecisionMemo | undefined,
    polarActor: unknown,
    action: unknown,
    resource: unknown,
    compiling: Promise<boolean | undefined> | undefined,
  ): Promise<boolean> {
    const subjects = { actor: polarActor, action, resource };
    const allowed =
      (await compiling) ??
      (await this.ask('isAllowed', () => engine.queryRuleOnce('allow', polarActor, action, resource), subjects));
    memo?.remember(polarActor, action, resource, allowed);
    return allowed;
  }

  private markAuthorized(state = currentAuthorizationState()): void {
    if (state) state.authorized = true;
  }

  private async deny(
    state: AuthorizationState | undefined,
    failure: Omit<AuthorizationFailure, 'context'>,
  ): Promise<never> {
    throw await this.denial(state, failure);
  }

  /**
   * The error of a denied check in the call whose state is given, in its transport's form (an `HttpException` on
   * HTTP, and outside a request).
   * @internal
   */
  async denial(state: AuthorizationState | undefined, failure: Omit<AuthorizationFailure, 'context'>): Promise<Error> {
    const context = state?.transport ?? 'http';
    return toTransportError(await unauthorizedException({ ...failure, context }, this.options.onUnauthorized), context);
  }

  /**
   * Runs an engine query; an engine failure is answered with a bare 500 and logged by rule, file, line and the
   * classes of `subjects`, without their field values (whole with `logEngineErrorDetails`).
   */
  private async ask<T>(what: string, query: () => Promise<T>, subjects: EngineCallSubjects): Promise<T> {
    try {
      return await query();
    } catch (error) {
      if (error instanceof HttpException) throw error;
      const { message, stack } = engineErrorLog(what, error, subjects, this.options.logEngineErrorDetails === true);
      this.logger.error(message, stack);
      throw engineFailureException();
    }
  }
}

/** Polar has no `undefined`: a missing actor is `nil`, which policies can match (`allow(nil, ...)`). */
function toPolarActor(actor: unknown): unknown {
  return actor ?? null;
}
