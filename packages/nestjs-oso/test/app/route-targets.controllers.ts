import { Controller, Get, Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { OsoGuard } from '../../src/index.js';

/**
 * Says which handler the router dispatched a request to, with which parameters, in an `x-dispatch` header, before
 * `OsoGuard` decides: so a denied request still tells the suite where it would have gone.
 */
@Injectable()
export class DispatchRecorder implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<{ params?: object }>();
    const dispatch = {
      handler: `${context.getClass().name}.${context.getHandler().name}`,
      params: { ...request.params },
    };
    // Express responses and Fastify replies both have `header(name, value)`.
    http
      .getResponse<{ header(name: string, value: string): void }>()
      .header('x-dispatch', encodeURIComponent(JSON.stringify(dispatch)));
    return true;
  }
}

@Controller()
@UseGuards(DispatchRecorder, OsoGuard)
export class HomeController {
  @Get()
  home() {
    return { page: 'home' };
  }
}

@Controller('admin')
@UseGuards(DispatchRecorder, OsoGuard)
export class AdminController {
  @Get()
  index() {
    return { page: 'admin' };
  }

  @Get('users/:id')
  user() {
    return { page: 'admin user' };
  }
}

@Controller('public')
@UseGuards(DispatchRecorder, OsoGuard)
export class PublicController {
  @Get()
  index() {
    return { page: 'public' };
  }

  @Get('docs/:name')
  doc() {
    return { page: 'public doc' };
  }
}

/** The handlers of the suite, each with its route pattern, to build the canonical target of a dispatch. */
export const ROUTE_TARGET_HANDLERS: Record<string, string> = {
  'HomeController.home': '/',
  'AdminController.index': '/admin',
  'AdminController.user': '/admin/users/:id',
  'PublicController.index': '/public',
  'PublicController.doc': '/public/docs/:name',
};

export const ROUTE_TARGET_CONTROLLERS = [HomeController, AdminController, PublicController];
