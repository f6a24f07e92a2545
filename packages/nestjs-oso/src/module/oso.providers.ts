import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { OSO_ENGINE } from './oso.constants.js';
import { OSO_MODULE_OPTIONS } from './oso.module-definition.js';
import type { OsoModuleOptions, PolarClassRegistration } from './oso-module-options.interface.js';
import { loadPolicy, OSO_LOADED_POLICY, OSO_POLAR_CLASSES, type LoadedPolicy } from '../policy/loaded-policy.js';
import { resolvePolarClasses } from '../policy/policy-loader.js';

/** The classes one `OsoModule.forFeature()` declares, found by the root module in the app's own module graph. */
class OsoFeatureClasses {
  constructor(readonly classes: ReadonlyArray<Type<unknown> | PolarClassRegistration>) {}
}

/** The module class of `OsoModule.forFeature()`: it only carries a provider of declared classes. */
@Module({})
class OsoFeatureModule {}

let featureModules = 0;

/**
 * The dynamic module of `OsoModule.forFeature(classes)`. Each call gets a token of its own, so that Nest never
 * merges two feature modules whose classes happen to print alike.
 */
export function osoFeatureModule(classes: ReadonlyArray<Type<unknown> | PolarClassRegistration>): DynamicModule {
  return {
    module: OsoFeatureModule,
    providers: [{ provide: `OSO:FEATURE_CLASSES:${++featureModules}`, useValue: new OsoFeatureClasses(classes) }],
  };
}

/**
 * The `classes` option followed by the classes of every `OsoModule.forFeature()` of this app, resolved once (with
 * where each came from, for the duplicate-name error). Only this app's module graph is read: two apps in one
 * process never see each other's classes.
 */
function collectPolarClasses(options: OsoModuleOptions, modules: ModulesContainer): PolarClassRegistration[] {
  const entries: Array<Type<unknown> | PolarClassRegistration> = [];
  const origins = new Map<unknown, string>();
  const add = (entry: Type<unknown> | PolarClassRegistration, origin: string) => {
    entries.push(entry);
    if (!origins.has(entry)) origins.set(entry, origin);
  };
  for (const entry of options.classes ?? []) add(entry, 'the "classes" option');
  for (const module of modules.values()) {
    for (const wrapper of module.providers.values()) {
      if (!(wrapper.instance instanceof OsoFeatureClasses)) continue;
      const importers = [...modules.values()].filter((other) => other.imports.has(module)).map((other) => other.name);
      for (const entry of wrapper.instance.classes)
        add(entry, `OsoModule.forFeature() in ${importers.join(', ') || 'an unknown module'}`);
    }
  }
  return resolvePolarClasses(entries, (entry) => origins.get(entry));
}

/** The providers `OsoModule` builds the engine with. */
export const OSO_ENGINE_PROVIDERS: Provider[] = [
  { provide: OSO_POLAR_CLASSES, useFactory: collectPolarClasses, inject: [OSO_MODULE_OPTIONS, ModulesContainer] },
  { provide: OSO_LOADED_POLICY, useFactory: loadPolicy, inject: [OSO_MODULE_OPTIONS, OSO_POLAR_CLASSES] },
  { provide: OSO_ENGINE, useFactory: (policy: LoadedPolicy) => policy.engine, inject: [OSO_LOADED_POLICY] },
];
