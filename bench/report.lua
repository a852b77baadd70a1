-- wrk script for bench/run: prints one machine-readable line with the counts and
-- the latency percentiles (wrk --latency stops at p99; the report needs p99.9).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'ZSBENCH {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
