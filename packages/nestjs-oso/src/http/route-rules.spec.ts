import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Post } from '@nestjs/common';
import { controllerMethods, isRouteHandler, methodsOf } from './route-rules.js';

@Controller('base')
class BaseController {
  @Get()
  list() {
    return [];
  }

  helper() {
    return 1;
  }
}

@Controller('things')
class ThingsController extends BaseController {
  @Post()
  create() {
    return {};
  }

  override helper() {
    return 2;
  }

  get computed() {
    return 3;
  }
}

describe('the walk over the app’s routes', () => {
  it('lists a class’s methods, its own and inherited, each once and no accessor', () => {
    expect([...methodsOf(ThingsController)].map(([name]) => name)).toEqual(['create', 'helper', 'list']);
  });

  it('walks every controller method once, with its controller, and skips wrappers without a class', () => {
    const wrappers = [{ metatype: ThingsController }, { metatype: null }, { metatype: BaseController }];
    const walked = [...controllerMethods(wrappers)].map(({ controller, name }) => `${controller.name}.${name}`);
    expect(walked).toEqual([
      'ThingsController.create',
      'ThingsController.helper',
      'ThingsController.list',
      'BaseController.list',
      'BaseController.helper',
    ]);
  });

  it('tells routes (methods with an HTTP method) from other methods', () => {
    const routes = [...controllerMethods([{ metatype: ThingsController }])].filter(({ handler }) =>
      isRouteHandler(handler),
    );
    expect(routes.map(({ name }) => name)).toEqual(['create', 'list']);
  });
});
