import { startClickUpEmulator } from "../../sandbox/clickup/index.ts";
import { createTestDatabase } from "./database.ts";

/** globalSetup of the workerd project: the database and the ClickUp emulator its tests reach. */
export default async function setup(): Promise<() => Promise<void>> {
  const port = process.env.GOLF_TEST_DATABASE_PORT;
  const databaseName = process.env.GOLF_TEST_DATABASE_NAME;
  const database = await createTestDatabase({
    ...(port ? { port: Number(port) } : {}),
    ...(databaseName ? { databaseName } : {}),
  });
  const clickup = await startClickUpEmulator({ port: Number(process.env.GOLF_TEST_CLICKUP_PORT), seed: "intake", rateLimitPerMinute: 10_000 });
  return async () => {
    await clickup.close();
    await database.stop();
  };
}
