import { Controller, Get } from '@nestjs/common';
import { Authorize, SkipAuthorization } from 'nestjs-oso';

@Controller()
export class HealthController {
  /** Route authorization: `allow(_actor, "GET", _request: HttpRequest{path: "/"})` in policy/routes/http.polar. */
  @Get()
  @Authorize()
  welcome() {
    return {
      name: 'nestjs-oso expenses sample',
      try: ['GET /organizations/1/expenses', 'GET /expenses/1', 'POST /expenses/1/approve'],
    };
  }

  /** For load balancers: no authorization at all, and the require-authorization check knows it. */
  @Get('health')
  @SkipAuthorization('load balancer probe')
  health() {
    return { status: 'ok' };
  }
}
