import { createTestDatabase } from "./database.ts";

/** globalSetup of the workerd project: the database its tests reach through DATABASE_URL. */
export default async function setup(): Promise<() => Promise<void>> {
  const port = process.env.GOLF_TEST_DATABASE_PORT;
  const databaseName = process.env.GOLF_TEST_DATABASE_NAME;
  const database = await createTestDatabase({
    ...(port ? { port: Number(port) } : {}),
    ...(databaseName ? { databaseName } : {}),
  });
  return () => database.stop();
}
