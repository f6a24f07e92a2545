import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { RejectPrototypeKeysPipe } from './common/reject-prototype-keys.pipe.js';

/** What `main.ts` and the e2e tests both apply to the app: bad bodies and queries answer 400 and change nothing. */
export function configureApp(app: INestApplication): INestApplication {
  app.useGlobalPipes(
    new RejectPrototypeKeysPipe(),
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  app.enableShutdownHooks();
  return app;
}
