import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { OsoRouteAuthorizer, isResolverClass } from './route-authorizer.js';

/**
 * Checks every controller's `@Authorize()` at startup, so that a resource resolver Nest cannot inject stops the
 * app with a message naming the route, instead of failing on the first request.
 */
@Injectable()
export class OsoRouteExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly moduleRef: ModuleRef,
    private readonly routes: OsoRouteAuthorizer,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | undefined;
      if (!controller) continue;
      this.checkTarget(controller, controller.name);
      for (const method of this.scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[method];
        if (typeof handler === 'function') this.checkTarget(handler, `${controller.name}.${method}`);
      }
    }
  }

  private checkTarget(target: object, where: string): void {
    const rule = this.routes.ruleOf(target);
    const resolver = rule?.kind === 'authorize' ? rule.metadata.resource : undefined;
    if (!resolver || !isResolverClass(resolver)) return;
    try {
      this.moduleRef.introspect(resolver);
    } catch {
      throw new Error(
        `OsoModule: @Authorize() on ${where} uses the resource resolver ${resolver.name}, which is not a provider: ` +
          'add it to the providers of the module that declares the controller',
      );
    }
  }
}
