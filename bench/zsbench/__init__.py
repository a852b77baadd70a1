# The pieces of bench/run: scenarios, server configurations, process control,
# the correctness check, wrk and the report. bench/run is the only entry point.
