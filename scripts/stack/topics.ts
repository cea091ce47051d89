// Topic housekeeping on the local stack's broker, shared by the stack tests and the benches: they
// create topics per run (a run id or a bus namespace in the name) and delete them when done, so a
// developer's long-running broker does not collect every run's topics.
import { Admin } from '@platformatic/kafka';

/**
 * Deletes the broker's topics whose name contains `marker`. Returns how many it deleted; a failure is
 * reported, not thrown: the caller's results stand either way.
 */
export const deleteTopicsContaining = async (marker: string, broker = '127.0.0.1:9092'): Promise<number> => {
  let admin: Admin | undefined;
  try {
    admin = new Admin({ clientId: 'stack-cleanup', bootstrapBrokers: [broker], retries: 2 });
    const topics = (await admin.listTopics()).filter((t) => t.includes(marker));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    return topics.length;
  } catch (e) {
    console.log(`# could not delete the topics of ${marker}: ${e instanceof Error ? e.message : String(e)}`);
    return 0;
  } finally {
    await admin?.close().catch(() => undefined);
  }
};
