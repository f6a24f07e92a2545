import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { OsoModuleOptions } from './oso-module-options.interface.js';

/** The one `ConfigurableModuleBuilder` call behind `OsoModule.forRoot()` and `OsoModule.forRootAsync()`. */
const definition = new ConfigurableModuleBuilder<OsoModuleOptions>({ moduleName: 'Oso' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createOsoOptions')
  .setExtras({ isGlobal: true }, (module, extras) => ({ ...module, global: extras.isGlobal }))
  .build();

export const ConfigurableOsoModule = definition.ConfigurableModuleClass;
export const OSO_OPTIONS_TYPE = definition.OPTIONS_TYPE;
export const OSO_ASYNC_OPTIONS_TYPE = definition.ASYNC_OPTIONS_TYPE;

/**
 * Injection token of the resolved `OsoModuleOptions`.
 *
 * @example
 * constructor(@Inject(OSO_MODULE_OPTIONS) private readonly options: OsoModuleOptions) {}
 * @publicApi
 */
export const OSO_MODULE_OPTIONS = definition.MODULE_OPTIONS_TOKEN;
