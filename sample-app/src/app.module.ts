import { join } from 'node:path';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OsoModule } from 'nestjs-oso';
import { typeOrmAdapter, typeOrmPolarClasses } from 'nestjs-oso/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { TokenAuthGuard } from './auth/token-auth.guard.js';
import { databaseOptions, ENTITIES } from './database/database.options.js';
import { ExpenseResolver } from './expenses/expense.resolver.js';
import { ExpensesController } from './expenses/expenses.controller.js';
import { ExpensesGateway } from './expenses/expenses.gateway.js';
import { ExpensesService } from './expenses/expenses.service.js';
import { ExpensesGraphQLResolver } from './graphql/expenses.resolver.js';
import { HealthController } from './health/health.controller.js';
import { OrganizationResolver } from './organizations/organization.resolver.js';
import { Guest } from './users/user.entity.js';

/** The policy: several files and a subfolder, loaded together. */
export const POLICY_DIR = join(import.meta.dirname, '..', 'policy');

export interface AppOptions {
  /** The database; defaults to `databaseOptions()` (SQLite in a file, or `DATABASE_URL`). */
  database?: DataSourceOptions;
  /** Reload the policy when its files change (`OSO_RELOAD=1` in `npm start`). */
  reloadPolicy?: boolean;
}

@Module({})
export class AppModule {
  static forRoot(options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot(options.database ?? databaseOptions()),
        TypeOrmModule.forFeature(ENTITIES),
        // GraphQL at POST /graphql, code first; errors carry their code (FORBIDDEN, NOT_FOUND), never a stack trace.
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          autoSchemaFile: true,
          includeStacktraceInErrorResponses: false,
        }),
        OsoModule.forRootAsync({
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => ({
            policyDir: POLICY_DIR,
            // Entities with their relations as Polar fields, so policies follow expense.organization.
            classes: [...typeOrmPolarClasses(dataSource, ENTITIES), Guest],
            dataFiltering: typeOrmAdapter(dataSource),
            requireAuthorization: true,
            reload: options.reloadPolicy ? 'watch' : false,
          }),
        }),
      ],
      controllers: [HealthController, ExpensesController],
      providers: [
        { provide: APP_GUARD, useClass: TokenAuthGuard },
        ExpensesService,
        ExpenseResolver,
        OrganizationResolver,
        ExpensesGraphQLResolver,
        ExpensesGateway,
      ],
    };
  }
}
