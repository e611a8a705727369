/**
 * Creates a Workflow instance once: the id names the event (a delivery, a tick, a find), and
 * creating an id that exists fails, so an instance already there means the event was seen before.
 */
export async function createInstanceOnce<P>(workflow: Workflow<P>, id: string, params: P): Promise<"accepted" | "duplicate"> {
  try {
    await workflow.create({ id, params });
    return "accepted";
  } catch (error) {
    if (await workflow.get(id).catch(() => null)) return "duplicate";
    throw error;
  }
}
