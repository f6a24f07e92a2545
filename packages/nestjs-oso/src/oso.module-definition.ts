import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { OsoModuleOptions } from './oso-module-options.interface.js';

/** The one `ConfigurableModuleBuilder` call behind `OsoModule.forRoot()` and `OsoModule.forRootAsync()`. */
export const {
  ConfigurableModuleClass: ConfigurableOsoModule,
  MODULE_OPTIONS_TOKEN: OSO_MODULE_OPTIONS,
  OPTIONS_TYPE: OSO_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: OSO_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<OsoModuleOptions>({ moduleName: 'Oso' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createOsoOptions')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
