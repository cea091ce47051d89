// Reference Cassandra writer: what the official Java driver (the Apache Cassandra Java driver 3.x, a
// dependency of cassandra-all, so stack.sh has already fetched it) reaches against the same node, on
// the same machine, writing the same rows as our Node store adapter does in
// bench/cassandra-write.bench.ts. The analogue of Kafka's ProducerPerformance next to our Kafka
// benches: a ceiling to compare our figure with.
//
// Same work as the adapter's default configuration (src/store/cassandra/writer.ts, cassandra-store.ts):
// - rows of bench/store-rows.ts: calls of 1000 candles or trades over SYM0..SYM199 (5 rows in each of
//   200 partitions), new keys every call, bound with the adapter's column values (day text "YYYY-MM-DD"
//   in UTC, bigint, double, boolean, JSON text for indicators/conditions as JSON.stringify renders them);
// - per call: rows grouped by partition (last row per primary key wins), partition_index rows written
//   first for partitions this process has not indexed yet, then partitions sharing a replica set packed
//   into UNLOGGED batches of at most 200 rows and ~16 KiB by the adapter's rowBytes estimate (a
//   partition's rows kept together and in order; a one-row chunk goes as a plain statement), at most 64
//   requests in flight; prepared INSERTs, LOCAL_QUORUM, idempotent, client-side timestamps, token-aware
//   over DC-aware round robin in datacenter1, two connections per host, no compression;
// - one call at a time, like the bench's `default-c64` variant: the call's rows are generated before
//   the clock starts, the call's own work (grouping, binding, batching, sending, waiting) is timed.
// What it does not pay: the Node adapter renders the indicator JSON per row (JSON.stringify); here the
// 97 distinct renderings are computed once (the values repeat with k % 97).
//
// Usage: java -cp <driver jars>:<classes> CassandraWriteRef KEYSPACE [WARMUP_S=20] [MEASURE_S=10] [HOST:PORT]
// (scripts/stack/cassandra-ref.sh compiles and runs it.) The tables must exist (our migrations).
// Env: BENCH_CASSANDRA=host:port (when no 4th argument; default 127.0.0.1:9042), REF_FIRST_BATCH (call
// number of the first call, default 1000000, so the keys never meet those of the Node bench, which
// starts at 0, in the same keyspace), REF_SERVER_PID / REF_CLK_TCK (the local Cassandra's pid: adds
// rows per server CPU-second, read from /proc), REF_PROTOCOL (V4 or V5: pin the native protocol version;
// by default the driver negotiates the highest the node offers, V5 with Cassandra 5.0, where our Node
// driver uses V4).
//
// Output: `# ...` comment lines, then `REF <name> <value>` lines:
//   REF candles <rows/s>   REF candles-cpu <rows per CPU-second of this JVM>   [REF candles-server-cpu <rows/server-cpu-s>]
//   REF trades  <rows/s>   REF trades-cpu  <...>                               [REF trades-server-cpu <...>]
//   REF total   <rows/s over both>   REF total-cpu <...>                      [REF total-server-cpu <...>]
// Exit status: 0 on success, 1 on a failed write or unexpected error, 2 when no node answers, 3 when
// the keyspace or tables are missing, 64 on bad arguments.

import com.datastax.driver.core.BatchStatement;
import com.datastax.driver.core.BoundStatement;
import com.datastax.driver.core.Cluster;
import com.datastax.driver.core.CodecRegistry;
import com.datastax.driver.core.ConsistencyLevel;
import com.datastax.driver.core.Host;
import com.datastax.driver.core.HostDistance;
import com.datastax.driver.core.KeyspaceMetadata;
import com.datastax.driver.core.Metadata;
import com.datastax.driver.core.PoolingOptions;
import com.datastax.driver.core.PreparedStatement;
import com.datastax.driver.core.ProtocolOptions;
import com.datastax.driver.core.ProtocolVersion;
import com.datastax.driver.core.QueryOptions;
import com.datastax.driver.core.ResultSet;
import com.datastax.driver.core.Session;
import com.datastax.driver.core.SocketOptions;
import com.datastax.driver.core.Statement;
import com.datastax.driver.core.UserType;
import com.datastax.driver.core.exceptions.DriverException;
import com.datastax.driver.core.exceptions.InvalidQueryException;
import com.datastax.driver.core.exceptions.NoHostAvailableException;
import com.datastax.driver.core.policies.DCAwareRoundRobinPolicy;
import com.datastax.driver.core.policies.TokenAwarePolicy;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

public final class CassandraWriteRef {
  // ——— the bench's shape (bench/cassandra-write.bench.ts, bench/store-rows.ts) ———
  static final int BATCH = 1000;
  static final int SYMBOLS = 200;
  static final String[] SYMBOL = new String[SYMBOLS];
  static final long T0 = Instant.parse("2024-01-16T09:30:00Z").toEpochMilli();
  // ——— the adapter's defaults (cassandra-store.ts, config.ts) ———
  static final int MAX_BATCH_ROWS = 200;
  static final int MAX_BATCH_BYTES = 16 * 1024;
  static final int CONCURRENCY = 64;
  static final int CONNECTIONS_PER_HOST = 2;
  static final int MAX_REQUESTS_PER_CONNECTION = 2048;
  static final String LOCAL_DC = "datacenter1";
  static final int INDEX_CACHE_MAX = 100_000;
  static final char SEP = '\u0001';

  static {
    for (int i = 0; i < SYMBOLS; i++) SYMBOL[i] = "SYM" + i;
  }

  /** A bad command line or environment: usage message, exit 64. */
  static final class UsageException extends Exception {
    UsageException(String m) {
      super(m);
    }
  }

  /** A failure already explained in its message: printed without a stack trace. */
  static final class Fatal extends Exception {
    final int status;

    Fatal(int status, String m, Throwable cause) {
      super(m, cause);
      this.status = status;
    }
  }

  // ——— rows (bench/store-rows.ts) ———

  /** A candle as the adapter receives it; `indicators` is the text JSON.stringify gives for its map. */
  record Candle(
      String symbol,
      long intervalMs,
      long start,
      double open,
      double high,
      double low,
      double close,
      double volume,
      double vwap,
      long trades,
      boolean fin,
      String indicators) {}

  /** A trade as the adapter receives it; `conditions` is conditionsJson() of its list. */
  record Trade(String symbol, double price, double size, long time, String conditions, long seq) {}

  /** JSON.stringify of the indicator map for each k % 97 (the only thing it depends on). */
  static final String[] INDICATORS = new String[97];

  static {
    for (int r = 0; r < 97; r++) {
      double p = 100 + r * 0.01;
      INDICATORS[r] =
          "{\"sma\":{\"5\":" + jsNumber(p) + ",\"20\":" + jsNumber(p - 0.2) + "},\"ema\":{\"12\":"
              + jsNumber(p + 0.01) + "},\"rsi\":" + jsNumber(51.3) + "}";
    }
  }

  static final String NO_CONDITIONS = "[]";
  static final String SOME_CONDITIONS = "[\"@\",\"I\"]";

  /** candleRows(n, 1000, SYM0..SYM199) of bench/store-rows.ts, same arithmetic in doubles. */
  static Candle[] candleRows(long n) {
    Candle[] out = new Candle[BATCH];
    for (int i = 0; i < BATCH; i++) {
      long k = n * BATCH + i;
      double p = 100 + (k % 97) * 0.01;
      out[i] =
          new Candle(
              SYMBOL[(int) (k % SYMBOLS)],
              60_000,
              T0 + Math.floorDiv(k, SYMBOLS) * 60_000,
              p,
              p + 0.5,
              p - 0.5,
              p + 0.1,
              1000 + (k % 13),
              p + 0.05,
              42,
              k % 2 == 0,
              INDICATORS[(int) (k % 97)]);
    }
    return out;
  }

  /** tradeRows(n, 1000, SYM0..SYM199) of bench/store-rows.ts. */
  static Trade[] tradeRows(long n) {
    Trade[] out = new Trade[BATCH];
    for (int i = 0; i < BATCH; i++) {
      long k = n * BATCH + i;
      out[i] =
          new Trade(
              SYMBOL[(int) (k % SYMBOLS)],
              100 + (k % 101) * 0.01,
              1 + (k % 300),
              T0 + Math.floorDiv(k, 10),
              k % 5 == 0 ? SOME_CONDITIONS : NO_CONDITIONS,
              k);
    }
    return out;
  }

  /**
   * A double as JavaScript's Number#toString writes it (what JSON.stringify puts in the text): the
   * shortest decimal that reads back as the same double, plain from 1e-6 up to 1e21, exponent form
   * outside. Java 17's Double.toString is not always the shortest (fixed in JDK 19) and writes "1.0".
   */
  static String jsNumber(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) return "null";
    if (d == 0) return "0";
    BigDecimal exact = new BigDecimal(d);
    BigDecimal shortest = exact;
    for (int digits = 1; digits <= 17; digits++) {
      BigDecimal r = exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
      if (r.doubleValue() == d) {
        shortest = r;
        break;
      }
    }
    shortest = shortest.stripTrailingZeros();
    double a = Math.abs(d);
    if (a >= 1e-6 && a < 1e21) return shortest.toPlainString();
    String digits = shortest.unscaledValue().abs().toString();
    int exp = digits.length() - 1 - shortest.scale();
    String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    return (d < 0 ? "-" : "") + mant + "e" + (exp >= 0 ? "+" : "") + exp;
  }

  /** dayOf (src/store/port.ts): the UTC day of a time, "YYYY-MM-DD"; the last day is remembered. */
  static final class DayCache {
    private long epochDay = Long.MIN_VALUE;
    private String text = "";

    String day(long ms) {
      long d = Math.floorDiv(ms, 86_400_000L);
      if (d != epochDay) {
        epochDay = d;
        text = LocalDate.ofEpochDay(d).toString();
      }
      return text;
    }
  }

  // ——— the write path (src/store/cassandra/writer.ts) ———

  /** One bound row and its rowBytes estimate. */
  record Pending(BoundStatement statement, int bytes) {}

  /**
   * rowBytes (writer.ts) of a row's params: 24 + per value 16 + (string: length, number: 8, bytes: their
   * length). The last value is the row's UDT cell (src/store/cassandra/value-cells.ts), bound as its
   * serialized bytes: per field 4 + the value (8 for a double or bigint, 1 for a boolean, the text).
   */
  static int candleBytes(Candle c, String day) {
    return 24 + 5 * 16 + c.symbol().length() + day.length() + 2 * 8 + (7 * 12 + 5 + 4 + c.indicators().length());
  }

  static int tradeBytes(Trade t, String day) {
    return 24 + 5 * 16 + t.symbol().length() + day.length() + 2 * 8 + (2 * 12 + 4 + t.conditions().length());
  }

  /** Rows of one call grouped by partition key, each partition's rows by clustering key, in order. */
  static final class PartitionGroups {
    final LinkedHashMap<String, LinkedHashMap<Object, Pending>> groups = new LinkedHashMap<>();
    int rows;

    /** Adds a row; true when it opened a new partition group. */
    boolean add(String partitionKey, Object clusteringKey, Pending p) {
      LinkedHashMap<Object, Pending> g = groups.get(partitionKey);
      boolean opened = g == null;
      if (g == null) {
        g = new LinkedHashMap<>();
        groups.put(partitionKey, g);
      }
      g.put(clusteringKey, p);
      rows++;
      return opened;
    }
  }

  record TradeKey(long time, long seq) {}

  static final class Writer {
    final Session session;
    final Metadata metadata;
    final String quotedKeyspace;
    final ProtocolVersion protocol;
    final CodecRegistry codecs;
    final PreparedStatement upsertCandle;
    final PreparedStatement upsertTrade;
    final PreparedStatement indexDay;
    final UserType barType;
    final UserType printType;
    final DayCache days = new DayCache();
    final HashSet<String> indexed = new HashSet<>();
    long requests;

    Writer(Cluster cluster, Session session, String keyspace) {
      this.session = session;
      this.metadata = cluster.getMetadata();
      this.quotedKeyspace = Metadata.quote(keyspace);
      this.protocol = cluster.getConfiguration().getProtocolOptions().getProtocolVersion();
      this.codecs = cluster.getConfiguration().getCodecRegistry();
      // The adapter's statements (src/store/cassandra/cql.ts), column order included.
      upsertCandle =
          session.prepare(
              "INSERT INTO " + keyspace + ".candles_by_symbol_interval_day (symbol, interval_ms, day, start_ms, bar)"
                  + " VALUES (?, ?, ?, ?, ?)");
      upsertTrade =
          session.prepare(
              "INSERT INTO " + keyspace + ".trades_by_symbol_day (symbol, day, time, seq, print) VALUES (?, ?, ?, ?, ?)");
      // The UDTs of schema v3 (src/store/cassandra/value-cells.ts), fields set by position.
      KeyspaceMetadata ks = metadata.getKeyspace(quotedKeyspace);
      barType = ks.getUserType("candle_bar");
      printType = ks.getUserType("trade_print");
      indexDay = session.prepare("INSERT INTO " + keyspace + ".partition_index (tbl, key, day) VALUES (?, ?, ?)");
    }

    /** upsertCandles (cassandra-store.ts). */
    void upsertCandles(Candle[] candles) throws Fatal {
      PartitionGroups g = new PartitionGroups();
      List<String[]> index = new ArrayList<>();
      for (Candle c : candles) {
        String day = days.day(c.start());
        BoundStatement b = upsertCandle.bind();
        b.setString(0, c.symbol());
        b.setLong(1, c.intervalMs());
        b.setString(2, day);
        b.setLong(3, c.start());
        b.setUDTValue(
            4,
            barType
                .newValue()
                .setDouble(0, c.open())
                .setDouble(1, c.high())
                .setDouble(2, c.low())
                .setDouble(3, c.close())
                .setDouble(4, c.volume())
                .setDouble(5, c.vwap())
                .setLong(6, c.trades())
                .setBool(7, c.fin())
                .setString(8, c.indicators()));
        String series = c.symbol() + "/" + c.intervalMs();
        if (g.add(series + SEP + day, c.start(), new Pending(b, candleBytes(c, day))))
          index.add(new String[] {series, day});
      }
      index("candles", index);
      writeGroups(g);
    }

    /** upsertTrades (cassandra-store.ts). */
    void upsertTrades(Trade[] trades) throws Fatal {
      PartitionGroups g = new PartitionGroups();
      List<String[]> index = new ArrayList<>();
      for (Trade t : trades) {
        String day = days.day(t.time());
        BoundStatement b = upsertTrade.bind();
        b.setString(0, t.symbol());
        b.setString(1, day);
        b.setLong(2, t.time());
        b.setLong(3, t.seq());
        b.setUDTValue(
            4, printType.newValue().setDouble(0, t.price()).setDouble(1, t.size()).setString(2, t.conditions()));
        if (g.add(t.symbol() + SEP + day, new TradeKey(t.time(), t.seq()), new Pending(b, tradeBytes(t, day))))
          index.add(new String[] {t.symbol(), day});
      }
      index("trades", index);
      writeGroups(g);
    }

    /** partition_index rows (tbl, key, day) not yet written by this process, before the rows. */
    void index(String tbl, List<String[]> entries) throws Fatal {
      List<BoundStatement> todo = new ArrayList<>();
      List<String> keys = new ArrayList<>();
      for (String[] e : entries) {
        String k = tbl + SEP + e[0] + SEP + e[1];
        if (indexed.contains(k)) continue;
        todo.add(indexDay.bind(tbl, e[0], e[1]));
        keys.add(k);
      }
      if (todo.isEmpty()) return;
      runBounded(todo.size(), todo::get);
      if (indexed.size() + keys.size() > INDEX_CACHE_MAX) indexed.clear();
      indexed.addAll(keys);
    }

    /**
     * replicaChunks + send (writer.ts): partitions whose replica set is the same share batches of at most
     * MAX_BATCH_ROWS rows and about MAX_BATCH_BYTES; a partition larger than a batch continues in the next.
     */
    void writeGroups(PartitionGroups groups) throws Fatal {
      if (groups.rows == 0) return;
      Map<Object, List<LinkedHashMap<Object, Pending>>> buckets = new LinkedHashMap<>();
      for (LinkedHashMap<Object, Pending> g : groups.groups.values()) {
        Pending first = g.values().iterator().next();
        ByteBuffer routingKey = first.statement().getRoutingKey(protocol, codecs);
        Set<Host> replicas = metadata.getReplicas(quotedKeyspace, routingKey);
        // Without replica metadata each partition stays alone, as in the adapter.
        Object bucket = replicas.isEmpty() ? g : replicas;
        buckets.computeIfAbsent(bucket, x -> new ArrayList<>()).add(g);
      }
      List<List<Pending>> chunks = new ArrayList<>();
      for (List<LinkedHashMap<Object, Pending>> parts : buckets.values()) {
        List<Pending> chunk = new ArrayList<>();
        int bytes = 0;
        for (LinkedHashMap<Object, Pending> g : parts) {
          for (Pending p : g.values()) {
            if (!chunk.isEmpty() && (chunk.size() == MAX_BATCH_ROWS || bytes + p.bytes() > MAX_BATCH_BYTES)) {
              chunks.add(chunk);
              chunk = new ArrayList<>();
              bytes = 0;
            }
            chunk.add(p);
            bytes += p.bytes();
          }
        }
        if (!chunk.isEmpty()) chunks.add(chunk);
      }
      runBounded(
          chunks.size(),
          i -> {
            List<Pending> chunk = chunks.get(i);
            if (chunk.size() == 1) return chunk.get(0).statement();
            BatchStatement batch = new BatchStatement(BatchStatement.Type.UNLOGGED);
            for (Pending p : chunk) batch.add(p.statement());
            return batch;
          });
    }

    /**
     * runBounded (writer.ts): statement(0 … count-1) sent with at most CONCURRENCY in flight; on the first
     * failure nothing new is sent, and the failure is thrown once the requests in flight have settled.
     */
    void runBounded(int count, IntFunction<Statement> statement) throws Fatal {
      Semaphore permits = new Semaphore(CONCURRENCY);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      FutureCallback<ResultSet> settle =
          new FutureCallback<>() {
            @Override
            public void onSuccess(ResultSet rs) {
              permits.release();
            }

            @Override
            public void onFailure(Throwable t) {
              failure.compareAndSet(null, t);
              permits.release();
            }
          };
      for (int i = 0; i < count && failure.get() == null; i++) {
        permits.acquireUninterruptibly();
        requests++;
        Futures.addCallback(session.executeAsync(statement.apply(i)), settle, MoreExecutors.directExecutor());
      }
      permits.acquireUninterruptibly(CONCURRENCY);
      Throwable t = failure.get();
      if (t != null) throw new Fatal(1, "write failed: " + t, t);
    }
  }

  // ——— measuring ———

  static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  /** CPU seconds of the local Cassandra process (REF_SERVER_PID) from /proc, or NaN. */
  static double serverCpuS(long pid, double clkTck) {
    if (pid <= 0) return Double.NaN;
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / clkTck;
    } catch (Exception e) {
      return Double.NaN;
    }
  }

  interface Call {
    void run(long n) throws Fatal;
  }

  record Result(long rows, double wallS, double cpuS, double serverS, long requests) {}

  static long nextBatch;

  /** Like measure() of the bench: 3 calls not counted, then calls until `seconds` of write time. */
  static Result measure(Writer w, boolean candles, double seconds, long serverPid, double clkTck) throws Fatal {
    for (int i = 0; i < 3; i++) call(w, candles, nextBatch++);
    long rows = 0, spentNs = 0, cpuNs = 0, requests = 0;
    double serverS = 0;
    while (spentNs < seconds * 1e9) {
      long n = nextBatch++;
      Candle[] cs = candles ? candleRows(n) : null;
      Trade[] ts = candles ? null : tradeRows(n);
      long r0 = w.requests;
      double s0 = serverCpuS(serverPid, clkTck);
      long c0 = OS.getProcessCpuTime();
      long t0 = System.nanoTime();
      if (candles) w.upsertCandles(cs);
      else w.upsertTrades(ts);
      spentNs += System.nanoTime() - t0;
      cpuNs += OS.getProcessCpuTime() - c0;
      serverS += serverCpuS(serverPid, clkTck) - s0;
      requests += w.requests - r0;
      rows += BATCH;
    }
    return new Result(rows, spentNs / 1e9, cpuNs / 1e9, serverS, requests);
  }

  static void call(Writer w, boolean candles, long n) throws Fatal {
    if (candles) w.upsertCandles(candleRows(n));
    else w.upsertTrades(tradeRows(n));
  }

  static void report(String name, double value) {
    if (Double.isNaN(value) || Double.isInfinite(value) || value <= 0) return;
    System.out.println("REF " + name + " " + Math.round(value));
  }

  static double parseSeconds(String s, String what) throws UsageException {
    try {
      double v = Double.parseDouble(s);
      if (v >= 0 && v < 86_400) return v;
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new UsageException(what + " must be a number of seconds, got '" + s + "'");
  }

  static long envLong(String name, long dflt) throws UsageException {
    String v = System.getenv(name);
    if (v == null || v.isEmpty()) return dflt;
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(name + " must be an integer, got '" + v + "'");
    }
  }

  public static void main(String[] args) {
    int status;
    try {
      status = run(args);
    } catch (UsageException e) {
      System.err.println("cassandra-ref: " + e.getMessage());
      System.err.println("usage: CassandraWriteRef KEYSPACE [WARMUP_S=20] [MEASURE_S=10] [HOST:PORT]");
      status = 64;
    } catch (Fatal e) {
      System.err.println("cassandra-ref: " + e.getMessage());
      status = e.status;
    } catch (Throwable t) {
      System.err.println("cassandra-ref: unexpected error");
      t.printStackTrace();
      status = 1;
    }
    System.out.flush();
    // The driver's threads are not all daemons: exit explicitly.
    System.exit(status);
  }

  static int run(String[] args) throws Exception {
    if (args.length < 1 || args.length > 4) throw new UsageException("expected 1 to 4 arguments");
    String keyspace = args[0];
    if (!keyspace.matches("[a-z][a-z0-9_]{0,47}"))
      throw new UsageException("invalid keyspace name '" + keyspace + "'");
    double warmupS = args.length > 1 ? parseSeconds(args[1], "warm-up") : 20;
    double measureS = args.length > 2 ? parseSeconds(args[2], "measure time") : 10;
    if (measureS <= 0) throw new UsageException("measure time must be > 0");
    String contact = args.length > 3 ? args[3] : System.getenv().getOrDefault("BENCH_CASSANDRA", "127.0.0.1:9042");
    int colon = contact.lastIndexOf(':');
    String host = colon < 0 ? contact : contact.substring(0, colon);
    int port;
    try {
      port = colon < 0 ? 9042 : Integer.parseInt(contact.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new UsageException("bad host:port '" + contact + "'");
    }
    nextBatch = envLong("REF_FIRST_BATCH", 1_000_000);
    if (nextBatch < 0 || nextBatch > 1_000_000_000L) throw new UsageException("REF_FIRST_BATCH out of range");
    long serverPid = envLong("REF_SERVER_PID", 0);
    double clkTck = envLong("REF_CLK_TCK", 100);

    String protocolName = System.getenv().getOrDefault("REF_PROTOCOL", "");
    ProtocolVersion pinned = null;
    if (!protocolName.isEmpty()) {
      try {
        pinned = ProtocolVersion.valueOf(protocolName.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new UsageException("REF_PROTOCOL must be one of V1..V5, got '" + protocolName + "'");
      }
    }

    Cluster.Builder builder =
        Cluster.builder()
            .addContactPointsWithPorts(new InetSocketAddress(host, port))
            .withLoadBalancingPolicy(
                new TokenAwarePolicy(DCAwareRoundRobinPolicy.builder().withLocalDc(LOCAL_DC).build()))
            .withPoolingOptions(
                new PoolingOptions()
                    .setConnectionsPerHost(HostDistance.LOCAL, CONNECTIONS_PER_HOST, CONNECTIONS_PER_HOST)
                    .setMaxRequestsPerConnection(HostDistance.LOCAL, MAX_REQUESTS_PER_CONNECTION))
            .withQueryOptions(
                new QueryOptions()
                    .setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM)
                    .setDefaultIdempotence(true))
            .withSocketOptions(new SocketOptions().setConnectTimeoutMillis(5000).setReadTimeoutMillis(12_000))
            .withCompression(ProtocolOptions.Compression.NONE)
            // Metrics stay on (the driver's default); their JMX reporter needs metrics 3.x classes.
            .withoutJMXReporting();
    if (pinned != null) builder.withProtocolVersion(pinned);
    Cluster cluster = builder.build();
    try {
      Session session;
      try {
        session = cluster.connect();
      } catch (NoHostAvailableException | IllegalStateException e) {
        throw new Fatal(2, "no Cassandra at " + contact + ": " + e.getMessage(), e);
      }
      if (cluster.getMetadata().getKeyspace(Metadata.quote(keyspace)) == null)
        throw new Fatal(3, "keyspace " + keyspace + " does not exist (create it with our migrations)", null);
      Writer w;
      try {
        w = new Writer(cluster, session, keyspace);
      } catch (InvalidQueryException e) {
        throw new Fatal(3, "cannot prepare the INSERTs in " + keyspace + " (tables missing?): " + e.getMessage(), e);
      }
      Host h = cluster.getMetadata().getAllHosts().iterator().next();
      System.out.printf(
          Locale.ROOT,
          "# java driver %s, protocol %s, %d host(s) (Cassandra %s), keyspace %s, %d connections/host,"
              + " %d in flight, batches <= %d rows / %d est. bytes, first call %d%n",
          Cluster.getDriverVersion(),
          w.protocol,
          cluster.getMetadata().getAllHosts().size(),
          h.getCassandraVersion(),
          keyspace,
          CONNECTIONS_PER_HOST,
          CONCURRENCY,
          MAX_BATCH_ROWS,
          MAX_BATCH_BYTES,
          nextBatch);

      long w0 = System.nanoTime();
      long warmRows = 0;
      while (System.nanoTime() - w0 < warmupS * 1e9) {
        call(w, true, nextBatch++);
        call(w, false, nextBatch++);
        warmRows += 2 * BATCH;
      }
      System.out.printf(
          Locale.ROOT,
          "# warm-up: %d rows written in %.1f s, not counted%n",
          warmRows,
          (System.nanoTime() - w0) / 1e9);

      Result c = measure(w, true, measureS, serverPid, clkTck);
      Result t = measure(w, false, measureS, serverPid, clkTck);
      for (var e : List.of(Map.entry("candles", c), Map.entry("trades", t))) {
        Result r = e.getValue();
        System.out.printf(
            Locale.ROOT,
            "# %s: %d rows in %.2f s of writes, %.1f requests per call of %d rows, JVM %.2f CPU-s%s%n",
            e.getKey(),
            r.rows(),
            r.wallS(),
            (double) r.requests() / (r.rows() / BATCH),
            BATCH,
            r.cpuS(),
            Double.isNaN(r.serverS()) ? "" : String.format(Locale.ROOT, ", server %.2f CPU-s", r.serverS()));
      }
      for (var e : List.of(Map.entry("candles", c), Map.entry("trades", t))) {
        Result r = e.getValue();
        report(e.getKey(), r.rows() / r.wallS());
        report(e.getKey() + "-cpu", r.rows() / r.cpuS());
        report(e.getKey() + "-server-cpu", r.rows() / r.serverS());
      }
      long rows = c.rows() + t.rows();
      report("total", rows / (c.wallS() + t.wallS()));
      report("total-cpu", rows / (c.cpuS() + t.cpuS()));
      report("total-server-cpu", rows / (c.serverS() + t.serverS()));
      return 0;
    } catch (DriverException e) {
      throw new Fatal(1, "driver error: " + e, e);
    } finally {
      cluster.close();
    }
  }
}
