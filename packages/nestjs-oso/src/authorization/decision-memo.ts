import { HttpRequest } from './http-request.js';

/**
 * The decisions one request has already obtained from the engine, so the same question is never asked of it twice in
 * that request (a guard and then a service checking the same thing, or a check in a loop). Keys are compared by
 * identity, as `Map` does: the same actor and resource objects, the same action value.
 */
export class DecisionMemo {
  /** Created on the first answer: most requests remember nothing (compiled decisions are not remembered). */
  private byResource: Map<unknown, Map<unknown, ActorDecisions>> | undefined;

  /** The remembered decision, or undefined when this question was not asked yet in this request. */
  recall(actor: unknown, action: unknown, resource: unknown): boolean | undefined {
    const decisions = this.byResource?.get(resource)?.get(actor);
    if (!decisions) return undefined;
    if (decisions.allActions) return decisions.allActions.has('*') || decisions.allActions.has(action);
    return decisions.byAction.get(action);
  }

  remember(actor: unknown, action: unknown, resource: unknown, allowed: boolean): void {
    if (remembers(resource)) this.decisionsOf(actor, resource).byAction.set(action, allowed);
  }

  /** Every action the actor may do on the resource: answers any later question about that pair. */
  rememberAllActions(actor: unknown, resource: unknown, actions: Set<unknown>): void {
    if (remembers(resource)) this.decisionsOf(actor, resource).allActions = actions;
  }

  recallAllActions(actor: unknown, resource: unknown): Set<unknown> | undefined {
    return this.byResource?.get(resource)?.get(actor)?.allActions;
  }

  private decisionsOf(actor: unknown, resource: unknown): ActorDecisions {
    this.byResource ??= new Map();
    let byActor = this.byResource.get(resource);
    if (!byActor) this.byResource.set(resource, (byActor = new Map()));
    let decisions = byActor.get(actor);
    if (!decisions) byActor.set(actor, (decisions = { byAction: new Map() }));
    return decisions;
  }
}

interface ActorDecisions {
  byAction: Map<unknown, boolean>;
  allActions?: Set<unknown>;
}

/**
 * Not decisions about an `HttpRequest`: each route check builds its own, so such an answer could never be recalled.
 */
function remembers(resource: unknown): boolean {
  return !(resource instanceof HttpRequest);
}
