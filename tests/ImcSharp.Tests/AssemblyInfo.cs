// Torch's global generator and thread pool are process-wide: run tests one at a time so that
// seeded results are reproducible and timings do not interfere.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
