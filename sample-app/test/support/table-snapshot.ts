import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Every row of every table of the app, in id order: equal snapshots before and after a request mean it wrote nothing. */
export async function snapshotTables(app: INestApplication): Promise<Record<string, unknown[]>> {
  const dataSource = app.get(DataSource);
  const tables: Record<string, unknown[]> = {};
  for (const metadata of dataSource.entityMetadatas) {
    const table = metadata.tablePath
      .split('.')
      .map((part) => dataSource.driver.escape(part))
      .join('.');
    tables[metadata.tableName] = await dataSource.query(
      `SELECT * FROM ${table} ORDER BY ${dataSource.driver.escape('id')}`,
    );
  }
  return tables;
}
